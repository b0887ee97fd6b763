// The users as npm run export reads them: by userid, a page per D1 query, and as the import's
// columns. The file grows as the pages come; the memory does not.
import type { WriteStream } from "node:fs";
import type { OtpAlgorithm } from "../../src/otp/hmac";
import { type D1Target, execute } from "./d1";
import { type Column, IMPORT_COLUMNS } from "./import-parse";

/** Users per D1 query: the file grows as it goes, the memory does not. */
const PAGE = 5000;
/** The import's columns but the seeds, in the same order. */
export const EXPORT_COLUMNS = IMPORT_COLUMNS.filter((column): column is ExportColumn => column !== "secret" && column !== "secret_hex");
export type ExportColumn = Exclude<Column, "secret" | "secret_hex">;

export interface UserRecord {
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
export function* userPages(target: D1Target, withSecrets: boolean): Generator<UserRecord[]> {
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

export const csvCell = (value: string | number | null) => {
  const text = value === null ? "" : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

export function columns(user: UserRecord): Record<ExportColumn, string | number | null> {
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
export const write = (out: WriteStream, text: string) =>
  out.write(text) ? Promise.resolve() : new Promise<void>((resolve) => out.once("drain", () => resolve()));

export const close = (out: WriteStream) =>
  new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
