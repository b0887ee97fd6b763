// Local/remote D1 plumbing shared by the dev server, the API key CLI and the test servers.
import { randomBytes } from "node:crypto";
import { drizzle } from "drizzle-orm/d1";
import type { Db } from "../../src/db/client";
import * as schema from "../../src/db/schema";
import { copyMigrated, isFreshState } from "./fresh-d1";
import { wrangler } from "./wrangler";

/** Where wrangler should act: the local D1 (optionally in another state folder) or the deployed one. */
export interface D1Target {
  remote?: boolean;
  /** Local state folder (wrangler's --persist-to); ignored with `remote`. */
  persistTo?: string;
  /** A wrangler.toml environment. */
  env?: string;
}

/** A result row as `wrangler d1 execute --json` prints it: SQLite values as JSON. */
type D1Row = Record<string, string | number | null>;

export function targetArgs({ remote = false, persistTo, env }: D1Target = {}): string[] {
  const args = [remote ? "--remote" : "--local"];
  if (!remote && persistTo) args.push("--persist-to", persistTo);
  if (env) args.push("--env", env);
  return args;
}

/**
 * Applies the pending migrations. Safe to run again after a lock: wrangler applies each migration
 * together with its row in d1_migrations as one batch, so a migration that met the lock is still
 * pending and the next attempt applies it (and none twice).
 */
export function applyMigrations(target: D1Target): void {
  const apply = (to: D1Target) => void d1Command(["migrations", "apply", "DB"], to);
  // A new state folder gets a copy of a migrated D1 (scripts/fresh-d1.ts).
  if (!target.remote && target.persistTo && isFreshState(target.persistTo)) {
    copyMigrated(target.persistTo, (folder) => apply({ ...target, persistTo: folder }));
  } else {
    apply(target);
  }
}

/**
 * Runs one SQL statement and returns its result rows. Values must already be SQL-safe literals.
 * `Row` is the shape the caller's SELECT or RETURNING produces; nothing checks it.
 */
export function execute<Row extends D1Row = D1Row>(sql: string, target: D1Target): Row[] {
  return executeEach<Row>([sql], target)[0] ?? [];
}

/**
 * Runs several statements in one wrangler call (one D1 request), in order, and returns each one's
 * result rows. A statement can look at the one before it with SQLite's `changes()`.
 */
export function executeEach<Row extends D1Row = D1Row>(statements: readonly string[], target: D1Target): Row[][] {
  return resultRows<Row>(executeD1(["--json", "--command", statements.join(";\n")], target));
}

function resultRows<Row extends D1Row>(out: string): Row[][] {
  const parsed = JSON.parse(out.slice(out.indexOf("["))) as Array<{ results?: Row[] }>;
  return parsed.map((result) => result.results ?? []);
}

/** Runs a file of SQL statements and returns each one's result rows (see executeEach). */
export function executeFileEach<Row extends D1Row = D1Row>(file: string, target: D1Target): Row[][] {
  return resultRows<Row>(executeD1(["--json", "--file", file], target));
}

/** Runs a file of SQL statements: locally one batch; remotely perhaps not, so each should be safe to run again. */
export function executeFile(file: string, target: D1Target): string {
  return executeD1(["--file", file], target);
}

/**
 * `wrangler d1 execute`. Locally, wrangler runs all the statements of one call as one batch (one
 * transaction): a call that met the lock committed none of them, so running it again is safe even
 * for an INSERT or an UPDATE.
 */
function executeD1(args: readonly string[], target: D1Target): string {
  return d1Command(["execute", "DB", ...args], target);
}

/** How long a step waits for a lock held by `npm run dev` before giving up. */
const BUSY_WAIT_MS = 120_000;
const BUSY_MESSAGE = "local D1 is locked by another process (npm run dev?), retrying";

/**
 * `wrangler d1 …` on `target`, run again while the local database is locked. A local D1 is one
 * SQLite file; while `npm run dev` (or a test server) is using it, a second workerd opening it gets
 * SQLITE_BUSY at once instead of waiting. Each caller says why its command is safe to repeat.
 * Waiting prints one line (README, "API keys"), never wrangler's stack trace.
 */
function d1Command(args: readonly string[], target: D1Target): string {
  const deadline = Date.now() + BUSY_WAIT_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return wrangler(["d1", ...args, ...targetArgs(target)]);
    } catch (error) {
      const busy = error instanceof Error && /SQLITE_BUSY|database is locked/.test(error.message);
      if (target.remote || !busy) throw error;
      if (Date.now() > deadline) {
        throw new Error(`the local D1 stayed locked by another process for ${BUSY_WAIT_MS / 1000} s; this step did not run: try again`);
      }
      if (attempt === 1) process.stderr.write(`${BUSY_MESSAGE}\n`);
      sleepSync(Math.min(100 * attempt, 1000));
    }
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A fresh keyring entry for SECRET_ENCRYPTION_KEYS. */
export function newEncryptionKey(id = `k${Date.now().toString(36)}`): string {
  return `${id}:${randomBytes(32).toString("base64")}`;
}

export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Drizzle for building statements that `execute` runs: nothing is ever run through its binding. */
export const SQL_ONLY_DB: Db = drizzle(undefined as unknown as D1Database, { schema });

/**
 * A drizzle statement as SQL text with its parameters written in as literals, for `wrangler d1
 * execute --command` or `--file`: the scripts' one inliner. Statements for several in one call use
 * no CASE … END: wrangler's statement splitter takes its END for a trigger's and runs them as one.
 */
export function inlineSql(statement: unknown): string {
  const { sql, params } = (statement as { toSQL(): { sql: string; params: unknown[] } }).toSQL();
  let next = 0;
  let quote: string | null = null;
  let out = "";
  for (const char of sql) {
    if (quote !== null) {
      if (char === quote) quote = null;
      out += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      out += char;
    } else out += char === "?" ? literal(params[next++]) : char;
  }
  if (next !== params.length) throw new Error(`statement has ${params.length} parameters but ${next} placeholders`);
  return out;
}

/** The bytes `values` take in a statement as the inliner writes them, with a comma and a space between. */
export function literalBytes(values: readonly unknown[]): number {
  return values.reduce<number>((sum, value) => sum + Buffer.byteLength(literal(value ?? null)) + 2, 0);
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "string") return sqlString(value);
  throw new Error(`cannot write ${typeof value} into SQL`);
}
