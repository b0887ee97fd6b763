// How the import and the export reach D1 in bulk: statements of at most STATEMENT_BYTES, many per
// wrangler start for a local D1 (where the time goes), one per call for the deployed one.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type D1Target, executeEach, sqlString, targetArgs } from "./d1";
import { wrangler } from "./wrangler";

/** D1 refuses a statement over 100,000 bytes; a remote one also travels as one command-line argument (Linux: at most 128 KiB). */
export const STATEMENT_BYTES = 90_000;
/** Statements per local `d1 execute --file`: one transaction of about 10,000 rows, one wrangler start. */
const STATEMENTS_PER_FILE = 20;

export const literal = (value: string | number | null) =>
  value === null ? "NULL" : typeof value === "number" ? String(value) : sqlString(value);

export type SqlRow = Record<string, string | number | null>;

export interface Runner {
  statementsPerCall: number;
  /** Runs the statements (one D1 transaction for a local D1) and returns their result rows, all together. */
  execute: (statements: readonly string[]) => SqlRow[];
  close: () => void;
}

export function runner(target: D1Target): Runner {
  return target.remote ? remoteRunner(target) : localRunner(target);
}

/** The deployed D1: through its query API, one statement per call (a file import would make the database unavailable meanwhile). */
function remoteRunner(target: D1Target): Runner {
  return {
    statementsPerCall: 1,
    execute: (statements) => executeEach(statements, target).flat(),
    close: () => {},
  };
}

/** A local D1: a file of statements per wrangler start. */
function localRunner(target: D1Target): Runner {
  const scratch = mkdtempSync(path.join(tmpdir(), "totp-edge-import-"));
  const file = path.join(scratch, "batch.sql");
  return {
    statementsPerCall: STATEMENTS_PER_FILE,
    execute(statements) {
      // Sealed secrets only, but still nobody else's to read.
      writeFileSync(file, statements.join(";\n"), { mode: 0o600 });
      const out = executeLocalFile(file, target);
      const results = JSON.parse(out.slice(out.indexOf("["))) as Array<{ results?: SqlRow[] }>;
      return results.flatMap((result) => result.results ?? []);
    },
    close: () => rmSync(scratch, { recursive: true, force: true }),
  };
}

const BUSY_ATTEMPTS = 30;

/**
 * `wrangler d1 execute --file --json`, retried while `npm run dev` holds the local database (as
 * scripts/d1.ts does for its commands). A local file runs as one batch, all or nothing, and every
 * statement here skips rows that exist, so a retry inserts each row at most once.
 */
function executeLocalFile(file: string, target: D1Target): string {
  for (let attempt = 1; ; attempt++) {
    try {
      return wrangler(["d1", "execute", "DB", ...targetArgs(target), "--json", "--file", file]);
    } catch (error) {
      const busy = error instanceof Error && /SQLITE_BUSY|database is locked/.test(error.message);
      if (attempt >= BUSY_ATTEMPTS || !busy) throw error;
      process.stderr.write(`local D1 is locked by another process (npm run dev?), retrying (${attempt})\n`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(50 * attempt, 500));
    }
  }
}

/**
 * Runs `statement(list)` over `items` cut into lists of at most STATEMENT_BYTES, as few calls as the
 * runner allows; `done` hears each call's result rows and how many items it covered.
 */
export async function inBatches<T>(
  items: Iterable<T> | AsyncIterable<T>,
  run: Runner,
  render: (item: T) => string | Promise<string>,
  statement: (list: string[]) => string,
  done: (rows: SqlRow[], items: number) => void,
): Promise<void> {
  let list: string[] = [];
  let bytes = 0;
  let statements: string[] = [];
  let pending = 0;
  const flushStatement = () => {
    if (list.length > 0) statements.push(statement(list));
    list = [];
    bytes = 0;
  };
  const flushCall = () => {
    flushStatement();
    if (statements.length === 0) return;
    done(run.execute(statements), pending);
    statements = [];
    pending = 0;
  };
  for await (const item of items) {
    const text = await render(item);
    const size = Buffer.byteLength(text) + 2;
    if (bytes + size > STATEMENT_BYTES - 400) {
      flushStatement();
      if (statements.length >= run.statementsPerCall) flushCall();
    }
    list.push(text);
    bytes += size;
    pending++;
  }
  flushCall();
}
