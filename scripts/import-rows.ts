// The rows of an import file (npm run import), checked: what each column may hold, and that no
// username repeats. Nothing here touches a database; no message ever contains a secret.
import { ApiError } from "../src/errors";
import { checkUsername, normalizeEmail, normalizePhone, usernameKey } from "../src/domain/identity";
import { OTP_ALGORITHMS } from "../src/otp/hmac";
import { base32Decode } from "../src/otp/base32";
import { DEFAULT_TOKEN, TOKEN_DIGITS, TOKEN_PERIODS, type TokenParams } from "../src/otp/totp";
import { type Column, type FileRecord, RowError, records } from "./import-parse";

export { IMPORT_COLUMNS, RowError } from "./import-parse";

/**
 * RFC 4226 §4 asks 128 bits of new secrets; existing ones are imported as they are, and the
 * Google Authenticator era issued 80. Longer than a SHA-512 block (128 bytes) is no token's seed.
 */
const MIN_SECRET_BYTES = 10;
const MAX_SECRET_BYTES = 128;

/** A checked row, ready to be sealed and inserted. */
export interface ImportRow {
  line: number;
  username: string;
  usernameKey: string;
  email: string | null;
  phone: string | null;
  secret: Uint8Array;
  token: TokenParams;
}

/** Checks one record; throws RowError. */
function checkRecord({ line, fields }: FileRecord): ImportRow {
  const fail = (reason: string): never => {
    throw new RowError(line, reason);
  };
  const given = (column: Column) => {
    const value = fields[column]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };
  const rawName = given("username") ?? fail("username is missing");
  let username: string;
  try {
    username = checkUsername(rawName);
  } catch {
    return fail("username must be 1 to 255 characters without control characters");
  }
  const base32 = given("secret");
  const hex = given("secret_hex");
  if ((base32 === undefined) === (hex === undefined)) fail("give exactly one of secret (base32) and secret_hex");
  const secret = base32 !== undefined ? base32Secret(base32) : hexSecret(hex!);
  if (typeof secret === "string") fail(secret);
  const bytes = secret as Uint8Array;
  if (bytes.length < MIN_SECRET_BYTES || bytes.length > MAX_SECRET_BYTES) {
    fail(`the secret must be ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes (${MIN_SECRET_BYTES * 8} to ${MAX_SECRET_BYTES * 8} bits)`);
  }
  return {
    line,
    username,
    usernameKey: usernameKey(username),
    email: optional(given("email"), normalizeEmail, "email is not a valid address", fail),
    phone: optional(given("phone"), normalizePhone, "phone is not an E.164 number", fail),
    secret: bytes,
    token: {
      algorithm: oneOf(given("algorithm")?.toUpperCase().replace("-", ""), OTP_ALGORITHMS, DEFAULT_TOKEN.algorithm, "algorithm", fail),
      digits: oneOf(numberOf(given("digits")), TOKEN_DIGITS, DEFAULT_TOKEN.digits, "digits", fail),
      period: oneOf(numberOf(given("period")), TOKEN_PERIODS, DEFAULT_TOKEN.period, "period", fail),
    },
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

/** Every row of the file, checked; usernames must not repeat. Errors are collected, not thrown. */
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
      const first = seen.get(row.usernameKey);
      if (first !== undefined) throw new RowError(row.line, `username ${JSON.stringify(row.username)} is also on line ${first}`);
      seen.set(row.usernameKey, row.line);
      yield row;
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      errors.push(error);
    }
  }
}
