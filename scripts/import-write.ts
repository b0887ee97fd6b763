// The writing half of npm run import: rows sealed under the keyring's first key, inserted in
// bounded statements, an existing username skipped by the UNIQUE index (so a second run adds nobody).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Keyring, seal } from "../src/crypto/secret-box";
import { type D1Target, executeEach, executeFileEach, sqlString } from "./d1";
import type { ImportRow } from "./import-rows";

/** D1 refuses a statement over 100,000 bytes; a remote one also travels as one command-line argument (Linux: at most 128 KiB). */
const STATEMENT_BYTES = 90_000;
/** Statements per local `d1 execute --file`: one transaction of about 10,000 rows, one wrangler start. */
const STATEMENTS_PER_FILE = 20;

const COLUMNS =
  "username, username_key, phone, email, secret_ciphertext, secret_key_id, created_at, confirmed_at, totp_algorithm, totp_digits, totp_period";

const literal = (value: string | null) => (value === null ? "NULL" : sqlString(value));

export interface WriteProgress {
  rows: number;
  imported: number;
}

/**
 * Inserts the rows and returns how many were new. Imported users count as confirmed (they already
 * hold their token: the portal never shows an imported seed) from `nowMs`.
 */
export async function insertRows(
  rows: Iterable<ImportRow>,
  target: D1Target,
  keyring: Keyring,
  nowMs: number,
  progress: (done: WriteProgress) => void,
): Promise<number> {
  const now = Math.floor(nowMs / 1000);
  const run = target.remote ? remoteRunner(target) : localRunner(target);
  const done: WriteProgress = { rows: 0, imported: 0 };
  let values: string[] = [];
  let bytes = 0;
  let statements: string[] = [];
  let pending = 0;
  const flushStatement = () => {
    if (values.length === 0) return;
    statements.push(`INSERT INTO users (${COLUMNS}) VALUES\n${values.join(",\n")}\nON CONFLICT(username_key) DO NOTHING RETURNING id`);
    values = [];
    bytes = 0;
  };
  const flushBatch = () => {
    flushStatement();
    if (statements.length === 0) return;
    done.imported += run.execute(statements);
    done.rows += pending;
    statements = [];
    pending = 0;
    progress(done);
  };
  try {
    for (const row of rows) {
      const sealed = await seal(keyring, row.secret, row.usernameKey);
      row.secret.fill(0);
      const tuple =
        `(${sqlString(row.username)}, ${sqlString(row.usernameKey)}, ${literal(row.phone)}, ${literal(row.email)}, ` +
        `${sqlString(sealed.ciphertext)}, ${sqlString(sealed.keyId)}, ${now}, ${now}, ` +
        `${sqlString(row.token.algorithm)}, ${row.token.digits}, ${row.token.period})`;
      const size = Buffer.byteLength(tuple) + 2;
      if (bytes + size > STATEMENT_BYTES - 200) {
        flushStatement();
        if (statements.length >= run.statementsPerCall) flushBatch();
      }
      values.push(tuple);
      bytes += size;
      pending++;
    }
    flushBatch();
  } finally {
    run.close();
  }
  return done.imported;
}

interface Runner {
  statementsPerCall: number;
  /** Runs the statements (one D1 transaction) and returns how many rows they inserted. */
  execute: (statements: readonly string[]) => number;
  close: () => void;
}

/** The deployed D1: through its query API, one statement per call (a file import would make the database unavailable meanwhile). */
function remoteRunner(target: D1Target): Runner {
  return {
    statementsPerCall: 1,
    execute: (statements) => executeEach(statements, target).reduce((sum, rows) => sum + rows.length, 0),
    close: () => {},
  };
}

/** A local D1: a file of statements per wrangler start, which is where the time goes. */
function localRunner(target: D1Target): Runner {
  const scratch = mkdtempSync(path.join(tmpdir(), "totp-edge-import-"));
  const file = path.join(scratch, "batch.sql");
  return {
    statementsPerCall: STATEMENTS_PER_FILE,
    execute(statements) {
      // Sealed secrets only, but still nobody else's to read.
      writeFileSync(file, statements.join(";\n"), { mode: 0o600 });
      // One batch: retried as a whole while npm run dev holds the lock (scripts/d1.ts), and every
      // statement here skips rows that exist, so each row is inserted at most once.
      return executeFileEach(file, target).reduce((sum, rows) => sum + rows.length, 0);
    },
    close: () => rmSync(scratch, { recursive: true, force: true }),
  };
}

/** How many of `keys` are usernames already (for --dry-run): bounded SELECTs, one call per file or statement. */
export function countExisting(keys: Iterable<string>, target: D1Target): number {
  const run = target.remote ? remoteRunner(target) : localRunner(target);
  let found = 0;
  let list: string[] = [];
  let bytes = 0;
  let statements: string[] = [];
  const flush = () => {
    if (list.length > 0) statements.push(`SELECT 1 FROM users WHERE username_key IN (${list.join(", ")})`);
    list = [];
    bytes = 0;
  };
  try {
    for (const key of keys) {
      const quoted = sqlString(key);
      const size = Buffer.byteLength(quoted) + 2;
      if (bytes + size > STATEMENT_BYTES - 200) {
        flush();
        if (statements.length >= run.statementsPerCall) {
          found += run.execute(statements);
          statements = [];
        }
      }
      list.push(quoted);
      bytes += size;
    }
    flush();
    if (statements.length > 0) found += run.execute(statements);
  } finally {
    run.close();
  }
  return found;
}
