// Local/remote D1 plumbing shared by the dev server, the API key CLI and the test servers.
import { createHash, randomBytes } from "node:crypto";
import { wrangler } from "./wrangler.mjs";

/** Where wrangler should act: the local D1 (optionally in another state folder) or the deployed one. */
export function targetArgs({ remote = false, persistTo, env } = {}) {
  const args = [remote ? "--remote" : "--local"];
  if (!remote && persistTo) args.push("--persist-to", persistTo);
  if (env) args.push("--env", env);
  return args;
}

export function applyMigrations(target) {
  return wrangler(["d1", "migrations", "apply", "DB", ...targetArgs(target)]);
}

/** Runs one SQL statement and returns its result rows. Values must already be SQL-safe literals. */
export function execute(sql, target) {
  const out = executeD1(["--json", "--command", sql], target);
  const parsed = JSON.parse(out.slice(out.indexOf("[")));
  return parsed[0]?.results ?? [];
}

/** Runs a file of SQL statements. Each must be safe to run twice (see executeD1). */
export function executeFile(file, target) {
  return executeD1(["--file", file], target);
}

const BUSY_ATTEMPTS = 30;

/**
 * `wrangler d1 execute` with retries while the local database is locked. A local D1 is one SQLite
 * file; when `npm run dev` (or a test server) is writing to it, a second workerd opening it gets
 * SQLITE_BUSY at once instead of waiting. A single statement that hit the lock did not run; in a
 * file, earlier statements may have committed, which is why executeFile asks for idempotent ones.
 */
function executeD1(args, target) {
  for (let attempt = 1; ; attempt++) {
    try {
      return wrangler(["d1", "execute", "DB", ...targetArgs(target), ...args]);
    } catch (error) {
      if (target?.remote || attempt >= BUSY_ATTEMPTS || !/SQLITE_BUSY|database is locked/.test(error.message)) throw error;
      process.stderr.write(`local D1 is locked by another process (npm run dev?), retrying (${attempt})\n`);
      sleepSync(Math.min(50 * attempt, 500));
    }
  }
}

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The same digest as src/crypto/api-keys.ts hashApiKey (test/node/apikey-cli.test.ts compares
 * them). It is repeated here because `npm run dev` and `npm run bench` import this file under
 * plain node, which cannot load TypeScript; `npm run apikey` runs under tsx and uses the original.
 */
export function hashApiKey(key) {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** A fresh keyring entry for SECRET_ENCRYPTION_KEYS. */
export function newEncryptionKey(id = `k${Date.now().toString(36)}`) {
  return `${id}:${randomBytes(32).toString("base64")}`;
}

export function sqlString(text) {
  return `'${String(text).replace(/'/g, "''")}'`;
}
