// Runs the project's own wrangler with what every invocation here needs: no telemetry prompt,
// no update check (CI has no stdin; the machine has no internet).
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/** Read at each start, not at import: the bench sets VSCODE_INSPECTOR_OPTIONS after importing this. */
function wranglerEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_HIDE_BANNER: "true",
    CI: process.env.CI ?? "true",
    // miniflare otherwise tries to download Request.cf data from Cloudflare and warns when it cannot.
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
  };
}

interface WranglerRunOptions {
  /** Capture the output and return it (default), or show it on this terminal as it comes. */
  quiet?: boolean;
}

/** Runs wrangler to completion and returns its stdout; throws with its output when it fails. */
export function wrangler(args: readonly string[], { quiet = true }: WranglerRunOptions = {}): string {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: wranglerEnv(),
    encoding: "utf8",
    stdio: quiet ? "pipe" : "inherit",
  });
  if (result.status !== 0) {
    throw new Error(`wrangler ${args[0]} ${args[1] ?? ""} failed:\n${result.stdout ?? ""}${result.stderr ?? ""}`);
  }
  return result.stdout ?? "";
}

interface WranglerSpawnOptions {
  stdio?: StdioOptions;
}

/** Starts a long-running wrangler in its own process group, so stopping it stops workerd too. */
export function spawnWrangler(args: readonly string[], { stdio = "pipe" }: WranglerSpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: wranglerEnv(), stdio, detached: true });
}

/** Stops a process started by spawnWrangler, with its whole group (workerd included). */
export function stopGroup(child: ChildProcess): Promise<void> {
  const group = child.pid;
  if (group === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-group, "SIGKILL");
      } catch {
        // already gone
      }
    }, 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      process.kill(-group, "SIGTERM");
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}
