import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import * as OTPAuth from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiKey } from "../../src/crypto/api-keys";
import { hashPassword } from "../../src/crypto/passwords";
import { loadKeyring, open, seal } from "../../src/crypto/secret-box";
import { execute, sqlString } from "../../scripts/lib/d1";
import { freePort, startLocalServer, type LocalServer } from "../../scripts/lib/local-server";

const run = promisify(execFile);
const API_KEY = generateApiKey();
const oldKey = `old:${randomBytes(32).toString("base64")}`;
const newKey = `new:${randomBytes(32).toString("base64")}`;
const thirdKey = `third:${randomBytes(32).toString("base64")}`;

type User = { userid: number; hash: string; hashqr: string };
let server: LocalServer;
const users: User[] = [];
/** An enrolled console admin, sealed under "old" as the Worker would have: their second factor must survive the rotation. */
const admin = { name: "rotation-admin", password: "correct horse battery staple", secret: new Uint8Array(randomBytes(20)) };

const startWorker = (keys: string, persistTo?: string): Promise<LocalServer> =>
  startLocalServer({ persistTo, apiKeys: { rotation: API_KEY }, vars: { SECRET_ENCRYPTION_KEYS: keys } });

beforeAll(async () => {
  // The running Worker knows both keys, the old one first: users are sealed under "old".
  server = await startWorker(`${oldKey},${newKey}`);
  for (let i = 0; i < 12; i++) {
    const res = await fetch(`${server.url}/createuser?api_key=${API_KEY}&email=rot${i}@example.com&format=1`);
    users.push((await res.json()) as User);
  }
  const totp = await seal(await loadKeyring(`${oldKey},${newKey}`), admin.secret, `admin:${admin.name}`);
  sql(
    `INSERT INTO admins (name, password_hash, totp_ciphertext, totp_key_id) VALUES (${sqlString(admin.name)}, ` +
      `${sqlString(await hashPassword(admin.password, 100_000))}, ${sqlString(totp.ciphertext)}, ${sqlString(totp.sealKeyId)})`,
  );
}, 180_000);
afterAll(() => server?.stop());

const sql = (query: string) => execute(query, { persistTo: server.persistTo });
const keyIds = () => sql("SELECT secret_key_id AS k, count(*) AS n FROM users GROUP BY k ORDER BY k").map(({ k, n }) => `${k}:${n}`);
const sealedRows = () => sql("SELECT id, secret_key_id, secret_ciphertext FROM users ORDER BY id");

/** The script with this keyring in its environment; exit code and both outputs. */
async function rotateKeys(keys: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await run("node", ["--import", "tsx", "scripts/rotate-keys.ts", "--persist-to", server.persistTo, ...args], {
      env: { ...process.env, SECRET_ENCRYPTION_KEYS: keys },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** The console's login form, as a browser on the Worker's own page sends it: 303 with a session cookie on success. */
async function adminLogin() {
  const code = new OTPAuth.TOTP({ secret: new OTPAuth.Secret({ buffer: admin.secret.slice().buffer }) }).generate();
  const res = await fetch(`${server.url}/admin/login`, {
    method: "POST",
    redirect: "manual",
    headers: { Origin: server.url, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ name: admin.name, password: admin.password, code }),
  });
  return { status: res.status, session: (res.headers.get("set-cookie") ?? "").startsWith("totp_admin=") };
}

async function validate(user: User) {
  const token = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(user.hash) }).generate();
  const res = await fetch(`${server.url}/validate?api_key=${API_KEY}&userid=${user.userid}&token=${token}&format=1`);
  return (await res.json()) as { validation: string; code?: number };
}

describe("npm run rotate-keys", () => {
  it("writes nothing unless the Worker seals with the script's first key (exit 2)", async () => {
    const before = sealedRows();
    expect(keyIds()).toEqual(["old:12"]);

    // The keys in the wrong order: the operator put "new" first for the script, but the Worker
    // still seals under "old", so new users would keep arriving under it.
    const wrongOrder = await rotateKeys(`${newKey},${oldKey}`, "--worker", server.url);
    expect(wrongOrder.code).toBe(2);
    expect(wrongOrder.stderr).toContain(`seals new secrets under key "old", not "new"`);
    expect(wrongOrder.stderr).toContain("Order of a rotation: 1) put the new key first in the Worker's SECRET_ENCRYPTION_KEYS");

    // A key the Worker does not have at all: every secret would become unreadable to it.
    const unknown = await rotateKeys(`${thirdKey},${oldKey},${newKey}`, "--worker", server.url);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`has no key "third" (it has "old", "new")`);

    // No Worker to ask.
    const unreachable = await rotateKeys(`${oldKey},${newKey}`, "--worker", `http://127.0.0.1:${await freePort()}`);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toContain("Start it with `npm run dev`, or pass --worker URL");
    const remote = await rotateKeys(`${oldKey},${newKey}`, "--remote");
    expect(remote.code).toBe(2);
    expect(remote.stderr).toContain("--remote needs --worker");

    for (const refused of [wrongOrder, unknown, unreachable]) expect(refused.stdout).toBe("");
    expect(sealedRows()).toEqual(before);
  }, 120_000);

  it("--verify counts secrets per key id and fails for a key id the Worker lacks", async () => {
    const verified = await rotateKeys(`${newKey},${oldKey}`, "--verify", "--worker", server.url);
    expect(verified.code).toBe(0);
    expect(verified.stdout.split("\n")).toEqual(
      expect.arrayContaining([
        "key id\tsecrets\tWorker\tthis keyring",
        "old\t13\tseals\topens",
        "new\t0\topens\tseals",
        'user secrets: 12 under "old"',
        'admin second factors: 1 under "old"',
      ]),
    );
    expect(verified.stdout).toContain(`Every secret is under the Worker's sealing key "old"`);

    // A row sealed under a key that neither the Worker nor the script has.
    sql(
      `INSERT INTO users (username, username_key, secret_ciphertext, secret_key_id) VALUES ('lost@example.com', 'lost@example.com', 'AAAA.AAAA', 'lost')`,
    );
    try {
      const lost = await rotateKeys(`${newKey},${oldKey}`, "--verify", "--worker", server.url);
      expect(lost.code).toBe(1);
      expect(lost.stdout).toContain("lost\t1\tunknown\tunknown");
      expect(lost.stderr).toContain(`1 secret(s) are under key ids the Worker does not have ("lost")`);
    } finally {
      sql("DELETE FROM users WHERE secret_key_id = 'lost'");
    }
  }, 120_000);

  it("re-seals every secret under the new key while validations keep working", async () => {
    // Step 1 of a rotation: the Worker gets the new key first and keeps the old one after it.
    await server.stop();
    server = await startWorker(`${newKey},${oldKey}`, server.persistTo);

    // Validations run during the rotation (batch of 5 rows at a time, so it takes several rounds).
    const rotation = rotateKeys(`${newKey},${oldKey}`, "--worker", server.url, "--batch", "5");
    const during = [];
    for (const u of users.slice(0, 6)) during.push(await validate(u));
    const { code, stdout } = await rotation;
    expect(code).toBe(0);
    expect(stdout).toContain("Done: 13 secret(s) re-sealed under key new.");
    expect(keyIds()).toEqual(["new:12"]);
    expect(sql("SELECT totp_key_id AS k FROM admins")).toEqual([{ k: "new" }]);

    // A token is good once per step: users validated during the rotation may have hit a step edge
    // (code 8 is then correct); every other answer must be a success.
    for (const answer of during) expect(answer.validation === "true" || answer.code === 8).toBe(true);
    for (const u of users.slice(6)) expect((await validate(u)).validation).toBe("true");
    // The QR route opens the re-sealed secret too (the server has a new port since the restart).
    for (const u of users) {
      const qr = new URL(u.hashqr);
      expect((await fetch(`${server.url}${qr.pathname}${qr.search}`)).status).toBe(200);
    }
    // Nothing left to do on a second run, and --verify agrees.
    expect((await rotateKeys(`${newKey},${oldKey}`, "--worker", server.url)).stdout).toContain("Done: 0 secret(s)");
    const verified = await rotateKeys(`${newKey},${oldKey}`, "--verify", "--worker", server.url);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain("new\t13\tseals\tseals");
    expect(verified.stdout).toContain("old\t0\topens\topens");
  }, 600_000);

  it("takes a further pass for users created under the old key while it ran", async () => {
    // What an isolate that still has the old keyring writes: rows sealed under "old".
    const oldFirst = await loadKeyring(`${oldKey},${newKey}`);
    const secrets = new Map<string, Uint8Array>();
    const insertOldUsers = async (names: string[]) => {
      const rows = [];
      for (const name of names) {
        const secret = new Uint8Array(randomBytes(20));
        secrets.set(name, secret);
        const sealed = await seal(oldFirst, secret, name);
        rows.push(`(${sqlString(name)}, ${sqlString(name)}, ${sqlString(sealed.ciphertext)}, ${sqlString(sealed.sealKeyId)})`);
      }
      sql(`INSERT INTO users (username, username_key, secret_ciphertext, secret_key_id) VALUES ${rows.join(", ")}`);
    };
    await insertOldUsers(Array.from({ length: 6 }, (_, i) => `early${i}@example.com`));

    // One row per write, so the first pass is still running when the late users arrive.
    const child = spawn(
      "node",
      ["--import", "tsx", "scripts/rotate-keys.ts", "--persist-to", server.persistTo, "--worker", server.url, "--batch", "1"],
      {
        env: { ...process.env, SECRET_ENCRYPTION_KEYS: `${newKey},${oldKey}` },
        stdio: "pipe",
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk) => (stdout += chunk));
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    const exit = new Promise<number | null>((resolve) => child.on("exit", resolve));
    for (
      const start = Date.now();
      !stdout.includes("re-sealed 1 secret(s) so far") && child.exitCode === null;
      await new Promise((r) => setTimeout(r, 50))
    ) {
      if (Date.now() - start > 120_000) throw new Error(`the rotation did not start:\n${stdout}${stderr}`);
    }
    await insertOldUsers(["late0@example.com", "late1@example.com", "late2@example.com"]);
    // The test's insert and the script's queries take turns on the local D1's lock (scripts/lib/d1.ts retries
    // and says so on stderr); anything else on stderr is a failure.
    const exitCode = await exit;
    const unexpected = stderr.split("\n").filter((line) => line && !line.startsWith("local D1 is locked by another process"));
    expect({ exitCode, unexpected }, stdout).toEqual({ exitCode: 0, unexpected: [] });

    expect(stdout).toContain("3 secret(s) arrived under an old key during pass 1");
    expect(stdout).toContain("Done: 9 secret(s) re-sealed under key new in 2 passes (3 arrived under an old key during the rotation).");
    expect(keyIds()).toEqual(["new:21"]);

    // Re-sealed, not replaced: the new key alone opens each secret as it was, and the Worker validates it.
    const newOnly = await loadKeyring(newKey);
    const rows = sql(
      `SELECT id, username_key, secret_key_id, secret_ciphertext FROM users WHERE username_key LIKE 'late%' OR username_key LIKE 'early%'`,
    );
    expect(rows).toHaveLength(9);
    for (const row of rows) {
      const opened = await open(
        newOnly,
        { sealKeyId: row.secret_key_id as string, ciphertext: row.secret_ciphertext as string },
        row.username_key as string,
      );
      expect(opened).toEqual(secrets.get(row.username_key as string));
    }
    const late = rows.find((row) => row.username_key === "late2@example.com")!;
    const hash = new OTPAuth.Secret({ buffer: secrets.get("late2@example.com")!.slice().buffer }).base32;
    expect((await validate({ userid: late.id as number, hash, hashqr: "" })).validation).toBe("true");
  }, 600_000);

  it("once the old key is dropped, every user validates and every enrolled admin logs in (issue 22: admins got HTTP 500)", async () => {
    await server.stop();
    server = await startWorker(newKey, server.persistTo);
    const verified = await rotateKeys(newKey, "--verify", "--worker", server.url);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain(`Every secret is under the Worker's sealing key "new"; no other key is needed for this D1.`);
    expect(verified.stdout).toContain('admin second factors: 1 under "new"');
    expect(await adminLogin()).toEqual({ status: 303, session: true });
    // Opened either way: a code 8 (this step's code was accepted in an earlier test) comes after the match.
    const answer = await validate(users[0]!);
    expect(answer.validation === "true" || answer.code === 8).toBe(true);
  }, 120_000);
});
