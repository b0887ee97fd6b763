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
  const out = wrangler(["d1", "execute", "DB", ...targetArgs(target), "--json", "--command", sql]);
  const parsed = JSON.parse(out.slice(out.indexOf("[")));
  return parsed[0]?.results ?? [];
}

export function hashApiKey(key) {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** Same shape as the Worker's generateApiKey: 256 random bits. */
export function newApiKey() {
  return `te_${randomBytes(32).toString("base64url")}`;
}

/** A fresh keyring entry for SECRET_ENCRYPTION_KEYS. */
export function newEncryptionKey(id = `k${Date.now().toString(36)}`) {
  return `${id}:${randomBytes(32).toString("base64")}`;
}

export function sqlString(text) {
  return `'${String(text).replace(/'/g, "''")}'`;
}
