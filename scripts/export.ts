// npm run export -- --out FILE [--format csv|jsonl] | --out FILE.pskc --with-secrets (--psk HEX | --password PW)
// Every user, in the form npm run import takes back: so that nobody who tries this server is
// locked in. Seeds leave only encrypted, in a PSKC file (RFC 6030), never on stdout or in a log.
import { createWriteStream, type WriteStream } from "node:fs";
import { keyIds, type Keyring, open } from "../src/crypto/secret-box";
import { inventoryContext } from "../src/domain/hardware-tokens";
import { commandLine, D1_TARGET_OPTIONS, d1Target, runIfEntryPoint, usageError } from "./cli";
import { applyMigrations, type D1Target, execute } from "./d1";
import { scriptKeyring } from "./import-keyring";
import { type Column, IMPORT_COLUMNS } from "./import-parse";
import { type PskcEntry, pskcWriter } from "./pskc-write";
import type { OtpAlgorithm } from "../src/otp/hmac";

const USAGE = `usage: npm run export -- --out FILE [options]
  Writes every user (userid, username, created, confirmed, algorithm, digits, period, drift, serial,
  email, phone) as CSV (default) or JSON lines, which npm run import takes back as they are.
  With --with-secrets it writes a PSKC file (RFC 6030) instead, every user's seed (and every
  hardware token of the inventory) encrypted under --psk or --password: npm run import, and any
  PSKC reader, read it. Seeds are never written anywhere else.
options: --format csv|jsonl
         --with-secrets (--psk HEX: a 16 or 32 byte key | --password PW)
         --remote (the deployed D1; default: local)  --env NAME (a wrangler.toml environment)  --persist-to DIR (local state folder)
  With --with-secrets, SECRET_ENCRYPTION_KEYS (from this shell, or .dev.vars for the local D1) must open every seed.`;

/** Users per D1 query: the file grows as it goes, the memory does not. */
const PAGE = 5000;
/** The import's columns but the seeds, in the same order. */
const EXPORT_COLUMNS = IMPORT_COLUMNS.filter((column): column is ExportColumn => column !== "secret" && column !== "secret_hex");
type ExportColumn = Exclude<Column, "secret" | "secret_hex">;

interface UserRecord {
  id: number;
  username: string;
  username_key: string;
  created_at: number;
  confirmed_at: number | null;
  totp_algorithm: OtpAlgorithm;
  totp_digits: number;
  totp_period: number;
  totp_drift: number;
  token_serial: string | null;
  email: string | null;
  phone: string | null;
  secret_ciphertext: string;
  secret_key_id: string;
}

/** The users by userid, a page per query. */
function* userPages(target: D1Target, withSecrets: boolean): Generator<UserRecord[]> {
  const secrets = withSecrets ? ", secret_ciphertext, secret_key_id" : "";
  for (let after = 0; ; ) {
    const page = execute<Record<string, string | number | null>>(
      "SELECT id, username, username_key, created_at, confirmed_at, totp_algorithm, totp_digits, totp_period, totp_drift, " +
        `token_serial, email, phone${secrets} FROM users WHERE id > ${after} ORDER BY id LIMIT ${PAGE}`,
      target,
    ) as unknown as UserRecord[];
    if (page.length === 0) return;
    yield page;
    after = page[page.length - 1]!.id;
  }
}

const csvCell = (value: string | number | null) => {
  const text = value === null ? "" : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

function columns(user: UserRecord): Record<ExportColumn, string | number | null> {
  return {
    userid: user.id,
    username: user.username,
    created: user.created_at,
    confirmed: user.confirmed_at,
    algorithm: user.totp_algorithm,
    digits: user.totp_digits,
    period: user.totp_period,
    drift: user.totp_drift,
    serial: user.token_serial,
    email: user.email,
    phone: user.phone,
  };
}

/** Waits for the stream to take more when it is full: the file, not the memory, holds the users. */
const write = (out: WriteStream, text: string) =>
  out.write(text) ? Promise.resolve() : new Promise<void>((resolve) => out.once("drain", () => resolve()));

export interface ExportOptions {
  out: string;
  target: D1Target;
  format: "csv" | "jsonl";
}

/** Writes the users without secrets; returns how many. */
export async function exportUsers({ out: file, target, format }: ExportOptions): Promise<number> {
  const out = createWriteStream(file, { mode: 0o600 });
  let count = 0;
  if (format === "csv") await write(out, `${EXPORT_COLUMNS.join(",")}\n`);
  for (const page of userPages(target, false)) {
    const lines = page.map((user) => {
      const row = columns(user);
      return format === "csv" ? EXPORT_COLUMNS.map((c) => csvCell(row[c])).join(",") : JSON.stringify(row);
    });
    await write(out, `${lines.join("\n")}\n`);
    count += page.length;
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return count;
}

export interface SecretExportOptions {
  out: string;
  target: D1Target;
  keyring: Keyring;
  keys: { psk: Uint8Array } | { password: string };
}

/** Refuses before writing anything when the keyring lacks a key that sealed a seed. */
function refuseUnlessKeyringOpens(target: D1Target, keyring: Keyring): void {
  const used = execute<{ id: string }>(
    "SELECT DISTINCT secret_key_id AS id FROM users UNION SELECT DISTINCT secret_key_id FROM hardware_tokens",
    target,
  ).map((row) => row.id);
  const missing = used.filter((id) => !keyIds(keyring).includes(id));
  if (missing.length > 0) {
    throw new Error(
      `SECRET_ENCRYPTION_KEYS has no key ${missing.map((id) => `"${id}"`).join(", ")}, which sealed some seeds: use the Worker's keyring. Nothing was written.`,
    );
  }
}

/** Writes every user's seed and every waiting token into an encrypted PSKC file; returns the counts. */
export async function exportSecrets({ out: file, target, keyring, keys }: SecretExportOptions): Promise<{ users: number; tokens: number }> {
  refuseUnlessKeyringOpens(target, keyring);
  const pskc = await pskcWriter(keys);
  const out = createWriteStream(file, { mode: 0o600 });
  const counts = { users: 0, tokens: 0 };
  const entry = async (sealed: { ciphertext: string; keyId: string }, context: string, rest: Omit<PskcEntry, "secret">) => {
    const secret = await open(keyring, sealed, context);
    const text = await pskc.keyPackage({ ...rest, secret });
    secret.fill(0);
    return text;
  };
  await write(out, pskc.header);
  for (const page of userPages(target, true)) {
    for (const user of page) {
      const { userid, username, created, confirmed, email, phone } = columns(user) as PskcEntry["user"] & object;
      const text = await entry({ ciphertext: user.secret_ciphertext, keyId: user.secret_key_id }, user.username_key, {
        serial: user.token_serial,
        algorithm: user.totp_algorithm,
        digits: user.totp_digits,
        period: user.totp_period,
        drift: user.totp_drift,
        user: { userid, username, created, confirmed, email, phone },
      });
      await write(out, text);
      counts.users++;
    }
  }
  const tokens = execute<Record<string, string | number>>(
    "SELECT serial, secret_ciphertext, secret_key_id, totp_algorithm, totp_digits, totp_period, totp_drift FROM hardware_tokens ORDER BY serial",
    target,
  );
  for (const token of tokens) {
    const serial = String(token.serial);
    const sealed = { ciphertext: String(token.secret_ciphertext), keyId: String(token.secret_key_id) };
    await write(
      out,
      await entry(sealed, inventoryContext(serial), {
        serial,
        algorithm: token.totp_algorithm as OtpAlgorithm,
        digits: Number(token.totp_digits),
        period: Number(token.totp_period),
        drift: Number(token.totp_drift),
      }),
    );
    counts.tokens++;
  }
  await write(out, pskc.footer);
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return counts;
}

async function main(): Promise<void> {
  const { values, positionals } = commandLine(USAGE, {
    ...D1_TARGET_OPTIONS,
    out: { type: "string" },
    format: { type: "string" },
    "with-secrets": { type: "boolean", default: false },
    psk: { type: "string" },
    password: { type: "string" },
  });
  const target = d1Target(values);
  if (positionals.length > 0) usageError(USAGE, `unexpected argument ${positionals[0]}: the file goes after --out`);
  const file = values.out;
  if (!file || file === "-") usageError(USAGE, "give the file to write with --out FILE (never stdout)");
  if (!values["with-secrets"]) {
    if (values.psk !== undefined || values.password !== undefined) usageError(USAGE, "--psk and --password go with --with-secrets");
    const format = values.format ?? (/\.jsonl?$/i.test(file) ? "jsonl" : "csv");
    if (format !== "csv" && format !== "jsonl") usageError(USAGE, "--format is csv or jsonl");
    if (!values.remote) applyMigrations(target);
    const count = await exportUsers({ out: file, target, format });
    console.log(`Wrote ${count} users to ${file} (${format}, no secrets).`);
    return;
  }
  if (values.format !== undefined) usageError(USAGE, "--with-secrets writes a PSKC file: leave out --format");
  if ((values.psk === undefined) === (values.password === undefined))
    usageError(USAGE, "--with-secrets needs one of --psk HEX and --password PW");
  if (values.psk !== undefined && !/^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{64})$/.test(values.psk))
    usageError(USAGE, "--psk must be 16 or 32 bytes in hex");
  if (values.password !== undefined && values.password.length < 12) usageError(USAGE, "--password must be at least 12 characters");
  const keyring = await scriptKeyring(values.remote);
  if (typeof keyring === "string") usageError(USAGE, keyring);
  if (!values.remote) applyMigrations(target);
  const keys = values.psk !== undefined ? { psk: Buffer.from(values.psk, "hex") } : { password: values.password! };
  const counts = await exportSecrets({ out: file, target, keyring, keys });
  console.log(`Wrote ${counts.users} users and ${counts.tokens} inventory tokens to ${file} (PSKC, seeds encrypted).`);
}

runIfEntryPoint(import.meta.url, main);
