// Starts `wrangler dev` on a fresh (or given) local D1 with migrations applied and API keys
// inserted. Used by the node tests (conformance, examples, CLIs) and the benchmark.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { insertApiKeys } from "./api-key-rows";
import { applyMigrations, newEncryptionKey } from "./d1";
import { recordServer } from "./server-record";
import { spawnWrangler, stopGroup } from "./wrangler";

interface LocalServerOptions {
  /** Default: a free port. */
  port?: number;
  /** D1 state folder; default: a new temporary one. */
  persistTo?: string;
  /** label → key, inserted before the start (a key already there is kept). */
  apiKeys?: Record<string, string>;
  /** Worker vars and secrets; SECRET_ENCRYPTION_KEYS gets a fresh key if absent. */
  vars?: Record<string, string>;
  /** Another entry point than wrangler.toml's `main` (the bench's own Workers in bench/workers/). */
  script?: string;
}

export interface LocalServer {
  url: string;
  port: number;
  persistTo: string;
  /** wrangler's pid, which is also its process group (workerd included). */
  pid: number;
  stop: () => Promise<void>;
  /** Everything wrangler and the Worker have printed so far. */
  output: () => string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close(() => reject(new Error("no TCP port was assigned")));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  const port = options.port ?? (await freePort());
  const persistTo = options.persistTo ?? mkdtempSync(path.join(tmpdir(), "totp-edge-d1-"));
  const target = { persistTo };
  applyMigrations(target);
  await insertApiKeys(
    Object.entries(options.apiKeys ?? {}).map(([label, key]) => ({ label, key })),
    target,
    { ifAbsent: true },
  );

  const vars = { SECRET_ENCRYPTION_KEYS: newEncryptionKey("test"), ...options.vars };
  const envFile = path.join(persistTo, `${options.script ? path.basename(options.script, ".ts") : "worker"}.env`);
  writeFileSync(
    envFile,
    `${Object.entries(vars)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join("\n")}\n`,
    { mode: 0o600 },
  );
  const child = spawnWrangler([
    "dev",
    ...(options.script ? [options.script] : []),
    "--port",
    String(port),
    "--ip",
    "127.0.0.1",
    "--persist-to",
    persistTo,
    "--show-interactive-dev-session=false",
    "--inspector-port",
    String(await freePort()),
    "--env-file",
    envFile,
  ]);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  // As npm run dev does: the CLIs given this --persist-to find the server (scripts/lib/server-record.ts).
  const forget = child.pid === undefined ? () => {} : recordServer(persistTo, { origin: url, pid: child.pid });
  const stop = () => stopGroup(child).then(forget);
  try {
    if (child.pid === undefined) throw new Error("wrangler dev could not be started");
    await waitUntilServing(url, child, () => output);
    return { url, port, persistTo, pid: child.pid, stop, output: () => output };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitUntilServing(url: string, child: ChildProcess, output: () => string, timeoutMs = 60_000): Promise<void> {
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
