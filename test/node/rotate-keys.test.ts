import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import * as OTPAuth from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM scripts without type declarations
import { startLocalServer } from "../../scripts/local-server.mjs";
// @ts-expect-error plain ESM scripts without type declarations
import { execute } from "../../scripts/d1.mjs";

const run = promisify(execFile);
const API_KEY = `rotate-test-${randomBytes(8).toString("hex")}`;
const oldKey = `old:${randomBytes(32).toString("base64")}`;
const newKey = `new:${randomBytes(32).toString("base64")}`;

let server: { url: string; persistTo: string; stop: () => Promise<void> };
beforeAll(async () => {
  // The running Worker knows both keys, the old one first: users are sealed under "old".
  server = await startLocalServer({ apiKeys: { rotation: API_KEY }, vars: { SECRET_ENCRYPTION_KEYS: `${oldKey},${newKey}` } });
}, 120_000);
afterAll(() => server?.stop());

const keyIds = () =>
  (execute("SELECT secret_key_id AS k, count(*) AS n FROM users GROUP BY k ORDER BY k", { persistTo: server.persistTo }) as Array<{ k: string; n: number }>)
    .map(({ k, n }) => `${k}:${n}`);

describe("npm run rotate-keys", () => {
  it("re-seals every secret under the new key while validations keep working", async () => {
    const users: Array<{ userid: number; hash: string; hashqr: string }> = [];
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${server.url}/createuser?api_key=${API_KEY}&email=rot${i}@example.com&format=1`);
      users.push((await res.json()) as (typeof users)[number]);
    }
    expect(keyIds()).toEqual(["old:12"]);

    const validate = async (u: (typeof users)[number]) => {
      const token = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(u.hash) }).generate();
      const res = await fetch(`${server.url}/validate?api_key=${API_KEY}&userid=${u.userid}&token=${token}&format=1`);
      return ((await res.json()) as { validation: string; code?: number });
    };
    // Validations run during the rotation (batch of 5 rows at a time, so it takes several rounds).
    const rotation = run("node", ["--import", "tsx", "scripts/rotate-keys.mjs", "--persist-to", server.persistTo, "--batch", "5"], {
      env: { ...process.env, SECRET_ENCRYPTION_KEYS: `${newKey},${oldKey}` },
    });
    const during = [];
    for (const u of users.slice(0, 6)) during.push(await validate(u));
    const { stdout } = await rotation;
    expect(stdout).toContain("Done: 12 secret(s) re-sealed under key new");
    expect(keyIds()).toEqual(["new:12"]);

    // A token is good once per step: users validated during the rotation may have hit a step edge
    // (code 8 is then correct); every other answer must be a success.
    for (const answer of during) expect(answer.validation === "true" || answer.code === 8).toBe(true);
    for (const u of users.slice(6)) expect((await validate(u)).validation).toBe("true");
    // The QR route opens the re-sealed secret too.
    for (const u of users) expect((await fetch(u.hashqr)).status).toBe(200);
    // Nothing left to do on a second run.
    const again = await run("node", ["--import", "tsx", "scripts/rotate-keys.mjs", "--persist-to", server.persistTo], {
      env: { ...process.env, SECRET_ENCRYPTION_KEYS: `${newKey},${oldKey}` },
    });
    expect(again.stdout).toContain("Done: 0 secret(s)");
  }, 180_000);
});
