// Local/remote D1 plumbing shared by the dev server, the API key CLI and the test servers.
import { randomBytes } from "node:crypto";
import { drizzle } from "drizzle-orm/d1";
import type { Db } from "../src/db/client";
import * as schema from "../src/db/schema";
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

export function applyMigrations(target: D1Target): string {
  return wrangler(["d1", "migrations", "apply", "DB", ...targetArgs(target)]);
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
  const out = executeD1(["--json", "--command", statements.join(";\n")], target);
  const parsed = JSON.parse(out.slice(out.indexOf("["))) as Array<{ results?: Row[] }>;
  return parsed.map((result) => result.results ?? []);
}

/** Runs a file of SQL statements. Each must be safe to run twice (see executeD1). */
export function executeFile(file: string, target: D1Target): string {
  return executeD1(["--file", file], target);
}

const BUSY_ATTEMPTS = 30;

/**
 * `wrangler d1 execute` with retries while the local database is locked. A local D1 is one SQLite
 * file; when `npm run dev` (or a test server) is writing to it, a second workerd opening it gets
 * SQLITE_BUSY at once instead of waiting. A single statement that hit the lock did not run; in a
 * file, earlier statements may have committed, which is why executeFile asks for idempotent ones.
 */
function executeD1(args: readonly string[], target: D1Target): string {
  for (let attempt = 1; ; attempt++) {
    try {
      return wrangler(["d1", "execute", "DB", ...targetArgs(target), ...args]);
    } catch (error) {
      const busy = error instanceof Error && /SQLITE_BUSY|database is locked/.test(error.message);
      if (target.remote || attempt >= BUSY_ATTEMPTS || !busy) throw error;
      process.stderr.write(`local D1 is locked by another process (npm run dev?), retrying (${attempt})\n`);
      sleepSync(Math.min(50 * attempt, 500));
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

/** A drizzle statement as SQL text with its parameters written in as literals, for `wrangler d1 execute --command`. */
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

function literal(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "string") return sqlString(value);
  throw new Error(`cannot write ${typeof value} into SQL`);
}
