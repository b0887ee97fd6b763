import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../../scripts/lib/d1";

// The scripts (apikey, rotate-keys) reach the local D1 through `wrangler d1 execute`, a second
// workerd on the same SQLite file as a running `npm run dev`. Here Python's sqlite3 plays the dev
// server in the middle of a write: it holds the write lock until told to commit. A race with a
// real writing server decides nothing reliably (a query can slip between two writes).
const persistTo = mkdtempSync(path.join(tmpdir(), "totp-edge-busy-"));
let databaseFile: string;
let holder: ChildProcess | undefined;

beforeAll(() => {
  applyMigrations({ persistTo });
  const dir = path.join(persistTo, "v3", "d1", "miniflare-D1DatabaseObject");
  databaseFile = path.join(dir, readdirSync(dir).find((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")!);
}, 120_000);
afterAll(() => {
  holder?.kill(); // only still running if the test failed half-way
  rmSync(persistTo, { recursive: true, force: true });
});

function output(child: ChildProcess) {
  const seen = { stdout: "", stderr: "" };
  child.stdout!.on("data", (chunk) => (seen.stdout += chunk));
  child.stderr!.on("data", (chunk) => (seen.stderr += chunk));
  return seen;
}
const exitOf = (child: ChildProcess) => new Promise<number | null>((resolve) => child.on("exit", resolve));
async function until(condition: () => boolean, what: string) {
  for (const start = Date.now(); !condition(); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() - start > 60_000) throw new Error(`timed out waiting for ${what}`);
  }
}

describe("a script's D1 query while another process holds the local D1's write lock", () => {
  it("is retried until the lock is released, then answers", async () => {
    const lock = spawn(
      "python3",
      [
        "-c",
        [
          "import sqlite3, sys",
          `db = sqlite3.connect(${JSON.stringify(databaseFile)}, isolation_level=None)`,
          "db.execute('BEGIN IMMEDIATE')",
          "print('locked', flush=True)",
          "sys.stdin.read()",
          "db.execute('COMMIT')",
        ].join("\n"),
      ],
      { stdio: "pipe" },
    );
    holder = lock;
    const held = output(lock);
    const holderExit = exitOf(lock);
    await until(() => held.stdout.includes("locked") || lock.exitCode !== null, "the lock");
    expect(held).toEqual({ stdout: "locked\n", stderr: "" });

    const script = `import("./scripts/lib/d1.ts").then((d1) =>
      console.log(JSON.stringify(d1.execute("SELECT count(*) AS n FROM api_keys", { persistTo: ${JSON.stringify(persistTo)} }))))`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: path.resolve(import.meta.dirname, "../.."),
      stdio: "pipe",
    });
    const seen = output(child);
    const childExit = exitOf(child);
    await until(() => seen.stderr.includes("retrying") || child.exitCode !== null, "the script to meet the lock");
    lock.stdin.end(); // commit: the lock is released
    const code = await childExit;

    expect(await holderExit).toBe(0);
    expect(seen.stderr).toContain("local D1 is locked by another process");
    expect({ code, rows: JSON.parse(seen.stdout) }).toEqual({ code: 0, rows: [{ n: 0 }] });
  }, 120_000);
});
