// Starts `wrangler dev` on a fresh (or given) local D1 with migrations applied and API keys
// inserted. Used by `npm run dev`, the conformance tests and the benchmarks.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import net from "node:net";
import { applyMigrations, execute, hashApiKey, newEncryptionKey, sqlString } from "./d1.mjs";
import { spawnWrangler, stopGroup } from "./wrangler.mjs";

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function insertApiKeys(keys, target) {
  for (const [label, key] of Object.entries(keys)) {
    execute(`INSERT OR IGNORE INTO api_keys (label, key_hash) VALUES (${sqlString(label)}, ${sqlString(hashApiKey(key))})`, target);
  }
}

/**
 * @param {object} options
 * @param {number} [options.port] default: a free port
 * @param {string} [options.persistTo] D1 state folder; default: a new temporary one
 * @param {Record<string,string>} [options.apiKeys] label → key, inserted before start
 * @param {Record<string,string>} [options.vars] Worker vars/secrets (SECRET_ENCRYPTION_KEYS gets a fresh key if absent)
 * @param {boolean} [options.useDevVars] read .dev.vars (npm run dev) instead of `vars`
 * @returns {Promise<{url: string, port: number, persistTo: string, pid: number, stop: () => Promise<void>}>}
 */
export async function startLocalServer(options = {}) {
  const port = options.port ?? (await freePort());
  const persistTo = options.persistTo ?? mkdtempSync(path.join(tmpdir(), "totp-edge-d1-"));
  const target = { persistTo };
  applyMigrations(target);
  insertApiKeys(options.apiKeys ?? {}, target);

  const args = ["dev", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", persistTo,
    "--show-interactive-dev-session=false", "--inspector-port", String(await freePort())];
  if (!options.useDevVars) {
    const vars = { SECRET_ENCRYPTION_KEYS: newEncryptionKey("test"), ...options.vars };
    const envFile = path.join(persistTo, "worker.env");
    writeFileSync(envFile, Object.entries(vars).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join("\n") + "\n", { mode: 0o600 });
    args.push("--env-file", envFile);
  }
  const child = spawnWrangler(args, { stdio: options.inherit ? "inherit" : "pipe" });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  const stop = () => stopGroup(child);
  try {
    await waitUntilServing(url, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, persistTo, pid: child.pid, stop, output: () => output };
}

async function waitUntilServing(url, child, output, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${output()}`);
    try {
      await fetch(`${url}/__ready`);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`wrangler dev did not answer within ${timeoutMs / 1000} s:\n${output()}`);
}
