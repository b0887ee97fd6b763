import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as OTPAuth from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiKey } from "../../src/crypto/api-keys";
import { execute, newEncryptionKey } from "../../scripts/lib/d1";
import { type LocalServer, startLocalServer } from "../../scripts/lib/local-server";
import { runCli } from "./support/cli";
import { freshFetch } from "./support/fresh-fetch";

const API_KEY = generateApiKey();
const KEYS = newEncryptionKey("imp");
const dir = mkdtempSync(path.join(tmpdir(), "totp-edge-import-test-"));
let server: LocalServer;

// Three tokens as an appliance export might list them; the secrets are each algorithm's RFC 6238 seed.
const USERS = [
  { username: "sha1@example.com", algorithm: "SHA1", digits: 6, period: 30, secret: "12345678901234567890" },
  { username: "sha256-token", algorithm: "SHA256", digits: 8, period: 60, secret: "12345678901234567890123456789012" },
  {
    username: "+41791234567",
    algorithm: "SHA512",
    digits: 6,
    period: 30,
    secret: "1234567890123456789012345678901234567890123456789012345678901234",
  },
] as const;
const base32 = (ascii: string) => new OTPAuth.Secret({ buffer: new TextEncoder().encode(ascii).buffer as ArrayBuffer }).base32;
const hex = (ascii: string) => Buffer.from(ascii).toString("hex");

/** The CSV: base32 (lower case) for the first, hex for the second, base32 with its = padding for the third. */
function csv(): string {
  return [
    "username,secret,secret_hex,algorithm,digits,period,email,phone",
    `${USERS[0].username},${base32(USERS[0].secret).toLowerCase()},,SHA1,6,30,${USERS[0].username},`,
    `${USERS[1].username},,${hex(USERS[1].secret)},SHA-256,8,60,,`,
    `${USERS[2].username},${base32(USERS[2].secret)}=,,sha512,,,,+41 79 123 45 67`,
  ].join("\n");
}

function code(user: (typeof USERS)[number], stepOffset = 0): string {
  const totp = new OTPAuth.TOTP({
    secret: OTPAuth.Secret.fromUTF8(user.secret),
    algorithm: user.algorithm,
    digits: user.digits,
    period: user.period,
  });
  return totp.generate({ timestamp: Date.now() + stepOffset * user.period * 1000 });
}

const cli = (script: string, args: string[], keys = KEYS) => runCli(script, args, server.persistTo, keys);

const file = (name: string, text: string) => {
  const at = path.join(dir, name);
  writeFileSync(at, text);
  return at;
};
const userCount = () => execute<{ n: number }>("SELECT count(*) AS n FROM users", { persistTo: server.persistTo })[0]!.n;
const idOf = (username: string) =>
  execute<{ id: number }>(`SELECT id FROM users WHERE username = '${username}'`, { persistTo: server.persistTo })[0]!.id;

async function validate(userId: number, token: string) {
  const res = await freshFetch(`${server.url}/validate?userid=${userId}&token=${token}&format=1`, { headers: { "X-API-Key": API_KEY } });
  return (await res.json()) as { response: string; code?: number };
}

beforeAll(async () => {
  server = await startLocalServer({ apiKeys: { import: API_KEY }, vars: { SECRET_ENCRYPTION_KEYS: KEYS } });
}, 120_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("npm run import", () => {
  it("refuses a bad file with each bad line and no secret, writing nothing; a keyring the Worker lacks; --remote without --worker", async () => {
    const bad = `${csv()}\nbroken,${base32(USERS[0].secret).slice(0, 20)}1xyz,,,,,,\n`;
    const refused = await cli("import", [file("bad.csv", bad), "--worker", server.url]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("line 5: secret is not base32");
    expect(refused.stderr).toContain("0 imported, 0 skipped, 1 rejected");
    expect(`${refused.stdout}${refused.stderr}`).not.toContain("1xyz");
    expect(userCount()).toBe(0);

    const otherKeys = await cli("import", [file("users.csv", csv()), "--worker", server.url], newEncryptionKey("other"));
    expect(otherKeys.code).toBe(2);
    expect(otherKeys.stderr).toContain('has no key "other" (it has "imp")');
    const remote = await cli("import", [file("users.csv", csv()), "--remote"]);
    expect(remote.code).toBe(2);
    expect(remote.stderr).toContain("--remote needs --worker");
    expect(userCount()).toBe(0);
  }, 120_000);

  it("imports SHA1/6/30, SHA256/8/60 and SHA512/6/30 tokens that validate with their own codes; a second run adds nobody", async () => {
    const dry = await cli("import", [file("users.csv", csv()), "--dry-run"]);
    expect(dry.stdout).toContain("Dry run, nothing written. Would be: 3 imported, 0 skipped (username exists), 0 rejected.");
    expect(userCount()).toBe(0);

    const first = await cli("import", [file("users.csv", csv()), "--worker", server.url]);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe("Done: 3 imported, 0 skipped (username exists), 0 rejected.\n");
    expect(first.stderr).toContain("3 of 3 rows written, 3 new");
    for (const user of USERS) {
      expect(`${first.stdout}${first.stderr}`).not.toContain(base32(user.secret).slice(0, 16));
      const userId = idOf(user.username);
      expect(await validate(userId, code(user)), user.algorithm).toMatchObject({ response: "OTP is valid" });
      expect(await validate(userId, code(user)), user.algorithm).toMatchObject({ code: 8 });
    }

    const stored = execute(
      "SELECT username, totp_algorithm, totp_digits, totp_period, phone, confirmed_at IS NOT NULL AS confirmed FROM users ORDER BY id",
      {
        persistTo: server.persistTo,
      },
    );
    expect(stored).toEqual(
      USERS.map((u) => ({
        username: u.username,
        totp_algorithm: u.algorithm,
        totp_digits: u.digits,
        totp_period: u.period,
        phone: u.username.startsWith("+") ? u.username : null,
        confirmed: 1,
      })),
    );

    const again = await cli("import", [file("users.csv", csv())]);
    expect(again.stdout).toBe("Done: 0 imported, 3 skipped (username exists), 0 rejected.\n");
    expect(userCount()).toBe(3);
  }, 120_000);

  it("npm run resync: a token 2 steps fast is resynced from two consecutive codes and then accepted", async () => {
    const user = USERS[0];
    const userId = idOf(user.username);
    // Codes from a token two steps ahead: its previous code, then its current one.
    const refused = await cli("resync", [user.username, code(user, 5), code(user, 7)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("This counted as one failed attempt.");
    const resynced = await cli("resync", [user.username.toUpperCase(), code(user, 1), code(user, 2)]);
    expect(resynced.code).toBe(0);
    // The server's step may have moved on while the script ran: then the token is 1 step ahead of it.
    expect(resynced.stdout).toMatch(
      /^Resynced sha1@example\.com \(user \d+\): drift \+[12] steps \(the token is about (60|30) s ahead\)\.\n$/,
    );
    const row = execute<{ last_step: number; failed_attempts: number }>(
      `SELECT last_step, failed_attempts FROM users WHERE id = ${userId}`,
      {
        persistTo: server.persistTo,
      },
    )[0]!;
    expect(row.failed_attempts).toBe(0);
    // The token's next code, 3 steps ahead of the server's clock or 2 (as above): within the window around the drift.
    const next = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromUTF8(user.secret) }).generate({ timestamp: (row.last_step + 1) * 30_000 });
    expect(Math.floor(Date.now() / 30_000)).toBeLessThan(row.last_step);
    expect(await validate(userId, next)).toMatchObject({ response: "OTP is valid" });
    const audit = execute<{ actor: string; outcome: string }>(
      "SELECT actor, outcome FROM audit_log WHERE action = 'user.resync' ORDER BY id",
      {
        persistTo: server.persistTo,
      },
    );
    expect(audit).toEqual([
      { actor: "cli", outcome: "failed" },
      { actor: "cli", outcome: "ok" },
    ]);
  }, 120_000);
});
