// Runs the project's own wrangler with what every invocation here needs: no telemetry prompt,
// no update check (CI has no stdin; the machine has no internet).
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

export const wranglerEnv = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CI: process.env.CI ?? "true",
  // miniflare otherwise tries to download Request.cf data from Cloudflare and warns when it cannot.
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};

/** Runs wrangler to completion; throws with its output when it fails. */
export function wrangler(args, { quiet = true } = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: wranglerEnv,
    encoding: "utf8",
    stdio: quiet ? "pipe" : "inherit",
  });
  if (result.status !== 0) {
    throw new Error(`wrangler ${args[0]} ${args[1] ?? ""} failed:\n${result.stdout ?? ""}${result.stderr ?? ""}`);
  }
  return result.stdout ?? "";
}

/** Starts a long-running wrangler in its own process group, so stopping it stops workerd too. */
export function spawnWrangler(args, { stdio = "pipe" } = {}) {
  return spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: wranglerEnv, stdio, detached: true });
}

/** Stops a process started by spawnWrangler, with its whole group (workerd included). */
export function stopGroup(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try { process.kill(-child.pid, "SIGKILL"); } catch {}
    }, 5000);
    child.once("exit", () => { clearTimeout(timer); resolve(); });
    try { process.kill(-child.pid, "SIGTERM"); } catch { clearTimeout(timer); resolve(); }
  });
}
