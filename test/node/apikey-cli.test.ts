import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM scripts without type declarations
import { startLocalServer } from "../../scripts/local-server.mjs";

const run = promisify(execFile);
const persistTo = mkdtempSync(path.join(tmpdir(), "totp-edge-apikey-"));
const apikey = async (...args: string[]) => {
  try {
    const { stdout } = await run("node", ["scripts/apikey.mjs", ...args, "--persist-to", persistTo]);
    return { code: 0, out: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: failed.stdout + failed.stderr };
  }
};

let server: { url: string; stop: () => Promise<void> } | undefined;
afterAll(() => server?.stop());

describe("npm run apikey", () => {
  it("creates a key shown once, lists it without the key, and revokes it", async () => {
    const created = await apikey("create", "--label", "website");
    expect(created.code).toBe(0);
    const key = /^(te_[A-Za-z0-9_-]{43})$/m.exec(created.out)?.[1];
    expect(key, created.out).toBeDefined();
    const listed = await apikey("list");
    expect(listed.out).toMatch(/^1\twebsite\tcreated \S+\tactive$/m);
    expect(listed.out).not.toContain(key!);

    server = await startLocalServer({ persistTo });
    const createUser = async () => {
      const res = await fetch(`${server!.url}/createuser?api_key=${key}&email=cli-${Date.now()}@example.com&format=1`);
      return (await res.json()) as { success: string; code?: number };
    };
    expect((await createUser()).success).toBe("true");

    expect((await apikey("revoke", "1")).out).toContain("Revoked API key 1.");
    expect((await apikey("list")).out).toMatch(/^1\twebsite\tcreated \S+\trevoked \S+$/m);
    expect((await createUser()).code).toBe(1);
  });

  it("refuses bad input with its usage and a non-zero status", async () => {
    for (const args of [["revoke", "abc"], ["revoke", "99"], ["frobnicate"], ["create", "--key", "short"]]) {
      const result = await apikey(...args);
      expect([args, result.code]).toEqual([args, 2]);
      expect(result.out).toContain("usage: npm run apikey");
    }
    // An existing key (an appliance's) can be registered, but only once.
    expect((await apikey("create", "--key", "appliance-key-0123456789")).code).toBe(0);
    expect((await apikey("create", "--key", "appliance-key-0123456789")).out).toContain("already registered");
  });
});
