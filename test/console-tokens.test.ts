import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { loadKeyring, seal } from "../src/crypto/secret-box";
import { inventoryContext } from "../src/domain/hardware-tokens";
import { base32Encode } from "../src/otp/base32";
import { enroll, newApiKey, TestClock, testApp, tokenFor } from "./helpers";
import { adminSession, formPost, pageGet } from "./support/pages";

/** A token waiting in the inventory, as npm run import leaves it: its seed sealed for "token:SERIAL". */
async function waitingToken(serial: string, seed: Uint8Array, drift = 0) {
  const sealed = await seal(await loadKeyring(env.SECRET_ENCRYPTION_KEYS), seed, inventoryContext(serial));
  await env.DB.prepare(
    `INSERT INTO hardware_tokens (serial, secret_ciphertext, secret_key_id, totp_algorithm, totp_digits, totp_period, totp_drift, imported_at)
     VALUES (?1, ?2, ?3, 'SHA1', 6, 30, ?4, 1767225600)`,
  )
    .bind(serial, sealed.ciphertext, sealed.sealKeyId, drift)
    .run();
}

const userRow = (id: number) => env.DB.prepare("SELECT * FROM users WHERE id = ?").bind(id).first<Record<string, unknown>>();
const waiting = async (serial: string) =>
  (await env.DB.prepare("SELECT serial FROM hardware_tokens WHERE serial = ?").bind(serial).first()) !== null;
const auditOf = async (id: number) =>
  (await env.DB.prepare("SELECT action, outcome FROM audit_log WHERE target LIKE ? ORDER BY id").bind(`user ${id} %`).all()).results;

describe("assigning a hardware token from the inventory (console)", () => {
  it("replaces the user's secret with the token's, audited in the same batch; a second submit or another user cannot take it again", async () => {
    const clock = new TestClock();
    const call = testApp({ now: clock.now });
    const admin = await adminSession(clock.ms);
    const apiKey = await newApiKey();
    const user = await enroll(call, apiKey);
    const other = await enroll(call, apiKey);
    const serial = `GALT-${crypto.randomUUID().slice(0, 8)}`;
    const seed = crypto.getRandomValues(new Uint8Array(20));
    await waitingToken(serial, seed);

    const page = await (await call(`/admin/users/${user.userId}/confirm/assign-token`, pageGet(admin))).text();
    expect(page).toContain(`<form method="post" action="/admin/users/${user.userId}/assign-token">`);
    expect(page).toContain('name="serial"');
    const version = /name="version" value="([0-9a-f]{16})"/.exec(page)![1]!;
    const otherVersion = /name="version" value="([0-9a-f]{16})"/.exec(
      await (await call(`/admin/users/${other.userId}/confirm/assign-token`, pageGet(admin))).text(),
    )![1]!;

    const typo = await call(`/admin/users/${user.userId}/assign-token`, formPost(admin, { version, serial: `${serial}X` }));
    expect(typo.status).toBe(400);
    expect(await typo.text()).toContain("No token with that serial waits in the inventory");

    const res = await call(`/admin/users/${user.userId}/assign-token`, formPost(admin, { version, serial: ` ${serial} ` }));
    expect([res.status, res.headers.get("location")]).toEqual([303, `/admin/users/${user.userId}?done=token-assigned`]);
    expect(await userRow(user.userId)).toMatchObject({ token_serial: serial, last_step: -1, failed_attempts: 0 });
    expect((await userRow(user.userId))!.confirmed_at).not.toBeNull();
    expect(await waiting(serial)).toBe(false);
    const detail = await (await call(`/admin/users/${user.userId}`, pageGet(admin))).text();
    expect(detail).toContain(`hardware token ${serial}`);

    clock.advance(30);
    const validate = async (secret: string) =>
      (await call(`/validate?api_key=${apiKey}&userid=${user.userId}&token=${tokenFor(secret, clock.ms)}&format=1`)).json();
    expect(await validate(user.secret)).toMatchObject({ validation: "false" });
    clock.advance(30);
    expect(await validate(base32Encode(seed))).toMatchObject({ validation: "true" });

    const again = await call(`/admin/users/${user.userId}/assign-token`, formPost(admin, { version, serial }));
    expect(again.status).toBe(400);
    const stolen = await call(`/admin/users/${other.userId}/assign-token`, formPost(admin, { version: otherVersion, serial }));
    expect(stolen.status).toBe(400);
    expect((await userRow(other.userId))!.token_serial).toBeNull();
    expect(await auditOf(user.userId)).toEqual([{ action: "user.assign-token", outcome: "ok" }]);
  });

  it("a confirmation of a secret that was replaced since does nothing and is recorded as refused; the token keeps waiting", async () => {
    const clock = new TestClock();
    const call = testApp({ now: clock.now });
    const admin = await adminSession(clock.ms);
    const user = await enroll(call, await newApiKey());
    const serial = `GALT-${crypto.randomUUID().slice(0, 8)}`;
    await waitingToken(serial, crypto.getRandomValues(new Uint8Array(20)));
    const res = await call(`/admin/users/${user.userId}/assign-token`, formPost(admin, { version: "0123456789abcdef", serial }));
    expect([res.status, res.headers.get("location")]).toEqual([303, `/admin/users/${user.userId}?done=token-changed`]);
    expect(await waiting(serial)).toBe(true);
    expect(await auditOf(user.userId)).toEqual([{ action: "user.assign-token", outcome: "refused" }]);
  });
});
