// The rows of an import file (npm run import), checked: what each column may hold, and that no
// username repeats. Nothing here touches a database; no message ever contains a secret.
import { ApiError } from "../../src/errors";
import { checkUsername, normalizeEmail, normalizePhone, usernameKey } from "../../src/domain/identity";
import { OTP_ALGORITHMS } from "../../src/otp/hmac";
import { base32Decode } from "../../src/otp/base32";
import { DEFAULT_TOKEN, TOKEN_DIGITS, TOKEN_PERIODS, type TokenParams } from "../../src/otp/totp";
import { type Column, type FileRecord, RowError, records } from "./import-parse";

export { RowError } from "./import-parse";

/**
 * RFC 4226 §4 asks 128 bits of new secrets; existing ones are imported as they are, and the
 * Google Authenticator era issued 80. Longer than a SHA-512 block (128 bytes) is no token's seed.
 */
const MIN_SECRET_BYTES = 10;
const MAX_SECRET_BYTES = 128;

/** What a token computes and where it came from: a user's, or one waiting in the inventory. */
export interface TokenRow {
  line: number;
  secret: Uint8Array;
  token: TokenParams;
  /** The token's clock offset in steps (validate's drift). */
  drift: number;
  /** A hardware token's serial. */
  serial: string | null;
}

/** A checked row, ready to be sealed and inserted. */
export interface ImportRow extends Omit<TokenRow, "secret"> {
  username: string;
  usernameKey: string;
  email: string | null;
  phone: string | null;
  /** Null: a re-import of a user that must exist already (an export without secrets). */
  secret: Uint8Array | null;
  /** The userid to keep; null: the next one. */
  userId: number | null;
  /** Unix seconds; null: now. */
  createdAt: number | null;
  /** Unix seconds, null: not confirmed; undefined (no column): now, as an imported user holds their token already. */
  confirmedAt: number | null | undefined;
}

type Fields = FileRecord["fields"];
type Fail = (reason: string) => never;

/** Larger than any clock a resync could accept, smaller than anything but a typo. */
const MAX_DRIFT = 100_000;
/** Unix seconds up to the year 2286. */
const SECONDS = /^[0-9]{1,10}$/;

const given = (fields: Fields, column: Column) => {
  const value = fields[column]?.trim();
  return value === undefined || value === "" ? undefined : value;
};

/** The token half of a record (its secret required or not); throws RowError. */
export function checkToken(
  line: number,
  fields: Fields,
  fail: Fail,
  secretRequired: boolean,
): Omit<TokenRow, "secret"> & { secret: Uint8Array | null } {
  const base32 = given(fields, "secret");
  const hex = given(fields, "secret_hex");
  let secret: Uint8Array | null = null;
  if (base32 !== undefined && hex !== undefined) fail("give only one of secret (base32) and secret_hex");
  if (base32 !== undefined || hex !== undefined) {
    const decoded = base32 !== undefined ? base32Secret(base32) : hexSecret(hex!);
    if (typeof decoded === "string") fail(decoded);
    secret = decoded as Uint8Array;
    if (secret.length < MIN_SECRET_BYTES || secret.length > MAX_SECRET_BYTES) {
      fail(`the secret must be ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes (${MIN_SECRET_BYTES * 8} to ${MAX_SECRET_BYTES * 8} bits)`);
    }
  } else if (secretRequired) fail("give one of secret (base32) and secret_hex");
  const drift = given(fields, "drift");
  if (drift !== undefined && (!/^[+-]?[0-9]{1,6}$/.test(drift) || Math.abs(Number(drift)) > MAX_DRIFT)) {
    fail(`drift must be a whole number of steps between -${MAX_DRIFT} and ${MAX_DRIFT}`);
  }
  const serial = given(fields, "serial") ?? null;
  if (serial !== null && (serial.length > 64 || /[\p{Cc}\p{Cf}]/u.test(serial)))
    fail("serial must be 1 to 64 characters without control characters");
  return {
    line,
    secret,
    drift: drift === undefined ? 0 : Number(drift),
    serial,
    token: {
      algorithm: oneOf(
        given(fields, "algorithm")?.toUpperCase().replace("-", ""),
        OTP_ALGORITHMS,
        DEFAULT_TOKEN.algorithm,
        "algorithm",
        fail,
      ),
      digits: oneOf(numberOf(given(fields, "digits")), TOKEN_DIGITS, DEFAULT_TOKEN.digits, "digits", fail),
      period: oneOf(numberOf(given(fields, "period")), TOKEN_PERIODS, DEFAULT_TOKEN.period, "period", fail),
    },
  };
}

/** Checks one record; throws RowError. */
export function checkRecord({ line, fields }: FileRecord): ImportRow {
  const fail = (reason: string): never => {
    throw new RowError(line, reason);
  };
  const rawName = given(fields, "username") ?? fail("username is missing");
  let username: string;
  try {
    username = checkUsername(rawName);
  } catch {
    return fail("username must be 1 to 255 characters without control characters");
  }
  const userId = given(fields, "userid");
  if (userId !== undefined && !/^[1-9][0-9]{0,14}$/.test(userId)) fail("userid must be a positive whole number");
  const seconds = (column: "created" | "confirmed") => {
    const value = given(fields, column);
    if (value !== undefined && !SECONDS.test(value)) fail(`${column} must be a time in Unix seconds`);
    return value === undefined ? null : Number(value);
  };
  const confirmed = seconds("confirmed");
  return {
    ...checkToken(line, fields, fail, false),
    username,
    usernameKey: usernameKey(username),
    email: optional(given(fields, "email"), normalizeEmail, "email is not a valid address", fail),
    phone: optional(given(fields, "phone"), normalizePhone, "phone is not an E.164 number", fail),
    userId: userId === undefined ? null : Number(userId),
    createdAt: seconds("created"),
    confirmedAt: "confirmed" in fields ? confirmed : undefined,
  };
}

const numberOf = (text: string | undefined) => (text === undefined ? undefined : /^[0-9]{1,3}$/.test(text) ? Number(text) : NaN);

function oneOf<T>(value: unknown, allowed: readonly T[], fallback: T, name: string, fail: (reason: string) => never): T {
  if (value === undefined) return fallback;
  if (allowed.includes(value as T)) return value as T;
  return fail(`${name} must be one of ${allowed.join(", ")}`);
}

function optional(value: string | undefined, check: (raw: string) => string, reason: string, fail: (reason: string) => never) {
  if (value === undefined) return null;
  try {
    return check(value);
  } catch (error) {
    if (error instanceof ApiError) return fail(reason);
    throw error;
  }
}

/** Base32 as people write it: any case, spaces between groups, `=` padding optional. A reason when it is not. */
function base32Secret(text: string): Uint8Array | string {
  const clean = text.replace(/\s+/g, "").toUpperCase().replace(/=+$/, "");
  // RFC 4648 §6: 1, 3 or 6 characters in a last group cannot end a byte.
  if (!/^[A-Z2-7]+$/.test(clean) || [1, 3, 6].includes(clean.length % 8)) {
    return "secret is not base32 (A-Z and 2-7, with or without = padding)";
  }
  return base32Decode(clean);
}

function hexSecret(text: string): Uint8Array | string {
  const clean = text.replace(/\s+/g, "");
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(clean)) return "secret_hex is not an even number of hex digits";
  return Uint8Array.from(clean.match(/../g)!, (pair) => Number.parseInt(pair, 16));
}

/** Throws when `key` was seen on an earlier line; the message names the lines only (never a value). */
export function once(seen: Map<string, number>, key: string, line: number, what: string): void {
  const first = seen.get(key);
  if (first !== undefined) throw new RowError(line, `the ${what} is also on line ${first}`);
  seen.set(key, line);
}

/** Every row of the file, checked; usernames, userids and serials must not repeat. Errors are collected, not thrown. */
export function* checkedRows(text: string, errors: RowError[]): Generator<ImportRow> {
  const seen = new Map<string, number>();
  const iterator = records(text);
  for (;;) {
    let next: IteratorResult<FileRecord | RowError>;
    try {
      next = iterator.next();
    } catch (error) {
      // The file's structure is broken (a bad header, an unclosed quote): nothing after it can be read.
      if (error instanceof RowError) errors.push(error);
      else throw error;
      return;
    }
    if (next.done) return;
    if (next.value instanceof RowError) {
      errors.push(next.value);
      continue;
    }
    try {
      const row = checkRecord(next.value);
      once(seen, `username ${row.usernameKey}`, row.line, "username");
      if (row.userId !== null) once(seen, `userid ${row.userId}`, row.line, "userid");
      if (row.serial !== null) once(seen, `serial ${row.serial}`, row.line, "serial");
      yield row;
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      errors.push(error);
    }
  }
}
