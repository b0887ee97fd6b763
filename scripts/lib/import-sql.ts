// How the import and the export reach D1 in bulk: statements of at most STATEMENT_BYTES, many per
// wrangler start for a local D1 (where the time goes), one per call for the deployed one.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type D1Target, executeEach, executeFileEach } from "./d1";

/** D1 refuses a statement over 100,000 bytes; a remote one also travels as one command-line argument (Linux: at most 128 KiB). */
const STATEMENT_BYTES = 90_000;
/** Statements per local `d1 execute --file`: one transaction of about 10,000 rows, one wrangler start. */
const STATEMENTS_PER_FILE = 20;

type SqlRow = Record<string, string | number | null>;

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
      // One batch: retried as a whole while npm run dev holds the lock (scripts/lib/d1.ts), and every
      // statement here skips rows that exist, so each row is inserted at most once.
      return executeFileEach<SqlRow>(file, target).flat();
    },
    close: () => rmSync(scratch, { recursive: true, force: true }),
  };
}

/** How `inBatches` renders and measures items: an item's SQL text, or a row with its size as literals. */
interface Batching<T, R> {
  render: (item: T) => R | Promise<R>;
  statement: (list: R[]) => string;
  /** `done` hears each call's result rows and how many items it covered. */
  done: (rows: SqlRow[], items: number) => void;
  /** An item's bytes in the statement (default: its text's). */
  bytes?: (rendered: R) => number;
  /** Statements for the end of the last call (in its transaction), or a call of their own when there were no items. */
  tail?: string[];
}

/**
 * Runs `statement(list)` over `items` cut into lists of at most STATEMENT_BYTES, as few calls as the
 * runner allows.
 */
export async function inBatches<T, R = string>(
  items: Iterable<T> | AsyncIterable<T>,
  run: Runner,
  { render, statement, done, bytes: measure = (text) => Buffer.byteLength(String(text)), tail = [] }: Batching<T, R>,
): Promise<void> {
  let list: R[] = [];
  let bytes = 0;
  let statements: string[] = [];
  let pending = 0;
  const flushStatement = () => {
    if (list.length > 0) statements.push(statement(list));
    list = [];
    bytes = 0;
  };
  const flushCall = (last = false) => {
    flushStatement();
    if (last) statements.push(...tail);
    if (statements.length === 0) return;
    done(run.execute(statements), pending);
    statements = [];
    pending = 0;
  };
  for await (const item of items) {
    const rendered = await render(item);
    const size = measure(rendered) + 2;
    if (bytes + size > STATEMENT_BYTES - 400) {
      flushStatement();
      if (statements.length >= run.statementsPerCall) flushCall();
    }
    list.push(rendered);
    bytes += size;
    pending++;
  }
  flushCall(true);
}
