import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { getPlatformProxy } from "wrangler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM scripts without type declarations
import { applyMigrations } from "../../scripts/d1.mjs";

// The scripts (apikey, rotate-keys) reach the local D1 through `wrangler d1 execute`, a second
// workerd on the same SQLite file as a running `npm run dev`. This test plays the dev server with
// a workerd of its own that keeps writing, and checks that a script's query waits its turn.
const persistTo = mkdtempSync(path.join(tmpdir(), "totp-edge-busy-"));
let proxy: Awaited<ReturnType<typeof getPlatformProxy<{ DB: D1Database }>>>;

beforeAll(async () => {
  applyMigrations({ persistTo });
  proxy = await getPlatformProxy<{ DB: D1Database }>({ persist: { path: path.join(persistTo, "v3") }, remoteBindings: false });
  await proxy.env.DB.exec("CREATE TABLE scratch (x INTEGER)");
}, 120_000);
afterAll(async () => {
  await proxy?.dispose();
  rmSync(persistTo, { recursive: true, force: true });
});

describe("a script's D1 query while another process writes to the local D1", () => {
  it("is retried while the database is locked, then answers", async () => {
    const script = `import("./scripts/d1.mjs").then((d1) =>
      console.log(JSON.stringify(d1.execute("SELECT count(*) AS n FROM api_keys", { persistTo: ${JSON.stringify(persistTo)} }))))`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: path.resolve(import.meta.dirname, "../.."), stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));

    // Write until the script has run into the lock at least once, then let it through.
    let writes = 0;
    while (!stderr.includes("retrying") && child.exitCode === null) {
      await proxy.env.DB.prepare("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500000) INSERT INTO scratch SELECT x FROM c").run();
      await proxy.env.DB.prepare("DELETE FROM scratch").run();
      writes++;
    }
    const code = await exited;

    expect(stderr).toContain("local D1 is locked by another process");
    expect({ code, rows: JSON.parse(stdout) }).toEqual({ code: 0, rows: [{ n: 0 }] });
    expect(writes).toBeGreaterThan(0);
  }, 120_000);
});
