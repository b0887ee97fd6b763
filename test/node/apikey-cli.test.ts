import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { estimateKeyBits, generateApiKey, hashApiKey } from "../../src/crypto/api-keys";
import { execute } from "../../scripts/lib/d1";
import { DEV_API_KEY } from "../../scripts/dev";
import { startLocalServer, type LocalServer } from "../../scripts/lib/local-server";

const run = promisify(execFile);
const persistTo = mkdtempSync(path.join(tmpdir(), "totp-edge-apikey-"));
const apikey = async (...args: string[]) => {
  try {
    const { stdout, stderr } = await run("node", ["--import", "tsx", "scripts/apikey.ts", ...args, "--persist-to", persistTo]);
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: failed.stdout + failed.stderr };
  }
};

let server: LocalServer | undefined;
afterAll(() => server?.stop());

describe("npm run apikey", () => {
  it("creates a key shown once, lists it without the key, and revokes it", async () => {
    const created = await apikey("create", "--label", "website");
    expect(created.code).toBe(0);
    // Letters and digits only: the WordPress plugin deletes every other character of a key.
    const key = /^([A-Za-z0-9]{32})$/m.exec(created.out)?.[1];
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
    // An existing key (an appliance's) can be registered, but only once; the WordPress plugin
    // could not use this one, and the CLI says so.
    const appliance = await apikey("create", "--key", "appliance-key-0123456789");
    expect(appliance.code).toBe(0);
    expect(appliance.out).toContain("WordPress plugin deletes every character but A-Z, a-z and 0-9");
    expect((await apikey("create", "--key", "appliance-key-0123456789")).out).toContain("already registered");
  });

  it("refuses a weak or public key with exit 2, naming its estimated strength but never the key", async () => {
    const rows = () => execute("SELECT id, key_hash FROM api_keys ORDER BY id", { persistTo });
    const before = rows();
    for (const weak of ["aaaaaaaaaaaaaaaa", "abcdefghijklmnopqrstuvwxyz", "1234567890123456789012", "passwordpassword"]) {
      const result = await apikey("create", "--key", weak);
      expect([weak, result.code]).toEqual([weak, 2]);
      expect(result.out).toMatch(new RegExp(`estimated strength is ${Math.floor(estimateKeyBits(weak))} bits, at least 96 are needed`));
      expect(result.out).not.toContain(weak);
    }
    const dev = await apikey("create", "--key", DEV_API_KEY);
    expect(dev.code).toBe(2);
    expect(dev.out).toContain("the development key from the README");
    expect(rows()).toEqual(before);
  });

  it("has a development key that the WordPress plugin keeps as it is", () => {
    expect(DEV_API_KEY).toMatch(/^[A-Za-z0-9]{32,}$/);
    expect(estimateKeyBits(DEV_API_KEY)).toBeGreaterThanOrEqual(128);
  });

  it("stores the Worker's own hash of a key, never the key", async () => {
    const key = `clé-ünïcödé-🔑-${generateApiKey()}`;
    expect((await apikey("create", "--key", key, "--label", "unicode")).code).toBe(0);
    const rows = execute<{ key_hash: string }>("SELECT key_hash FROM api_keys WHERE label = 'unicode'", { persistTo });
    expect(rows).toEqual([{ key_hash: await hashApiKey(key) }]);
  });
});
