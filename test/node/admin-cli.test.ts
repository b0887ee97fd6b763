import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { tokenHash } from "../../src/domain/sessions";
import { execute } from "../../scripts/lib/d1";

const run = promisify(execFile);
const persistTo = mkdtempSync(path.join(tmpdir(), "totp-edge-admin-"));
const target = { persistTo };
const admin = async (...args: string[]) => {
  try {
    const { stdout, stderr } = await run("node", ["--import", "tsx", "scripts/admin.ts", ...args, "--persist-to", persistTo]);
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: failed.stdout + failed.stderr };
  }
};
const LINK = /^(https?:\/\/\S+)\/admin\/enrol\/([A-Za-z0-9_-]{43})$/m;
const row = (name: string) => execute(`SELECT * FROM admins WHERE name = '${name}'`, target)[0];

describe("npm run admin", () => {
  it("creates an admin with a one-time link whose token is stored only as a hash", async () => {
    const created = await admin("create", "Ops.Alice", "--origin", "https://totp.example.com/ignored/path");
    expect(created.code, created.out).toBe(0);
    const [, origin, token] = LINK.exec(created.out)!;
    expect(origin).toBe("https://totp.example.com");
    const stored = row("ops.alice")!;
    expect(stored.enrol_token_hash).toBe(await tokenHash(token!));
    expect(Number(stored.enrol_expires_at) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    expect(JSON.stringify(execute("SELECT * FROM admins", target))).not.toContain(token!);

    const again = await admin("create", "ops.alice");
    expect([again.code, again.out.includes("exists already"), LINK.test(again.out)]).toEqual([2, true, false]);
    expect((await admin("list")).out).toMatch(/^ops\.alice\tcreated \S+\tenrolment link open until \S+$/m);
  });

  it("disable ends the admin's sessions and spends the link; reset gives a new link and enables again", async () => {
    await admin("create", "bob");
    const bob = row("bob")!;
    const session = await tokenHash("some-session");
    execute(
      `INSERT INTO sessions (id_hash, realm, subject_id, csrf_token, created_at, seen_at) VALUES ('${session}', 'admin', ${bob.id}, 'x', 1, 1)`,
      target,
    );
    expect((await admin("disable", "bob")).out).toContain("Disabled admin bob");
    expect(execute(`SELECT * FROM sessions WHERE id_hash = '${session}'`, target)).toEqual([]);
    expect(row("bob")!.enrol_token_hash).toBeNull();
    expect((await admin("disable", "bob")).out).toContain("already disabled");
    expect((await admin("list")).out).toMatch(/^bob\tcreated \S+\tdisabled \S+$/m);

    const reset = await admin("reset", "bob");
    expect(reset.code, reset.out).toBe(0);
    const [, origin, token] = LINK.exec(reset.out)!;
    expect(origin).toBe("http://localhost:8787");
    const after = row("bob")!;
    expect([after.disabled_at, after.password_hash, after.totp_ciphertext, after.enrol_token_hash]).toEqual([
      null,
      null,
      null,
      await tokenHash(token!),
    ]);
    const actions = execute("SELECT actor, action, target FROM audit_log WHERE target = 'admin bob' ORDER BY id", target);
    expect(actions.map((a) => `${a.actor} ${a.action}`)).toEqual(["cli admin.create", "cli admin.disable", "cli admin.reset"]);
  });

  it("unlock lifts the admin's own lock and every address's, and is audited", async () => {
    await admin("create", "dora");
    const dora = row("dora")!;
    const until = Date.now() + 600_000;
    execute(`UPDATE admins SET failed_attempts = 120, locked_until = ${until} WHERE id = ${dora.id}`, target);
    execute(
      `INSERT INTO login_clients (realm, subject_id, client, failed_attempts, locked_until, trusted_at) VALUES
         ('admin', ${dora.id}, '203.0.113.5', 7, ${until}, NULL), ('admin', ${dora.id}, '198.51.100.7', 5, ${until}, 1)`,
      target,
    );
    expect((await admin("list")).out).toMatch(/^dora\t.*login locked until \S+ for new addresses, 2 addresses locked out$/m);
    const unlocked = await admin("unlock", "dora");
    expect([unlocked.code, unlocked.out]).toEqual([0, expect.stringContaining("Unlocked admin dora")]);
    expect(row("dora")).toMatchObject({ failed_attempts: 0, locked_until: 0 });
    const clients = execute(
      `SELECT client, failed_attempts, locked_until, trusted_at FROM login_clients WHERE subject_id = ${dora.id} ORDER BY client`,
      target,
    );
    expect(clients).toEqual([
      { client: "198.51.100.7", failed_attempts: 0, locked_until: 0, trusted_at: 1 },
      { client: "203.0.113.5", failed_attempts: 0, locked_until: 0, trusted_at: null },
    ]);
    const actions = execute("SELECT actor, action FROM audit_log WHERE target = 'admin dora' ORDER BY id", target);
    expect(actions.map((a) => `${a.actor} ${a.action}`)).toEqual(["cli admin.create", "cli admin.unlock"]);
  });

  it("refuses bad input before touching any database", async () => {
    for (const args of [
      [],
      ["frobnicate"],
      ["create"],
      ["create", "-bad"],
      ["create", "has space"],
      ["create", "x".repeat(65)],
      ["disable", "nobody"],
      ["reset", "nobody"],
      ["unlock", "nobody"],
      ["create", "carol", "--remote", "--env", "dev"],
      ["create", "carol", "--origin", "ftp://x"],
    ]) {
      const result = await admin(...args);
      expect([args, result.code]).toEqual([args, 2]);
      expect(result.out).toContain("usage: npm run admin");
    }
    expect(row("carol")).toBeUndefined();
  });
});
