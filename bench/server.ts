// wrangler dev with another entry point than wrangler.toml's `main` (the bench's own Workers in
// bench/workers/), on a D1 state folder that is already migrated, or needs nothing.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { freePort } from "../scripts/local-server";
import { spawnWrangler, stopGroup } from "../scripts/wrangler";

export interface BenchServer {
  url: string;
  /** wrangler's pid, which is also its process group (workerd included). */
  pid: number;
  stop: () => Promise<void>;
}

interface WorkerOptions {
  /** The entry point, relative to the repository. */
  script: string;
  /** D1 state folder. */
  persistTo: string;
  /** Worker vars and secrets. */
  vars: Record<string, string>;
}

export async function startWorker({ script, persistTo, vars }: WorkerOptions): Promise<BenchServer> {
  const port = await freePort();
  const envFile = path.join(persistTo, `${path.basename(script, ".ts")}.env`);
  const lines = Object.entries(vars).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  writeFileSync(envFile, `${lines.join("\n")}\n`, { mode: 0o600 });
  const args = ["dev", script, "--port", String(port), "--ip", "127.0.0.1", "--persist-to", persistTo];
  const child = spawnWrangler([
    ...args,
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
  const stop = () => stopGroup(child);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.pid === undefined) throw new Error(`wrangler dev ${script} exited early:\n${output}`);
    try {
      await fetch(`${url}/healthz`);
      return { url, pid: child.pid, stop };
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`wrangler dev ${script} did not answer within 60 s:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
