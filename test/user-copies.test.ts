// The copies of users' rows near the Worker (src/db/user-copies.ts): what they hold, and that a
// stale one never undoes or bypasses what the operator did since. Each test keeps the copy taken
// before the change and plants it again afterwards, then forgets the isolate's key, so the next
// validate is a first sight that reads the stale copy.
import { env } from "cloudflare:workers";
import { webhookSettings } from "../src/events/settings";
import { beforeAll, describe, expect, it } from "vitest";
import { readConfig } from "../src/config";
import { loadKeyring, seal } from "../src/crypto/secret-box";
import { requestDatabases } from "../src/db/client";
import { RoundTrips } from "../src/db/timed-d1";
import { userCopies } from "../src/db/user-copies";
import { deleteUser, resetUserSecret, userDetails } from "../src/domain/console-users";
import type { Deps } from "../src/domain/deps";
import { resyncUser } from "../src/domain/resync";
import { forgetUserKey } from "../src/domain/user-keys";
import { createApp } from "../src/index";
import { base32Decode } from "../src/otp/base32";
import { countingD1 } from "./counting-d1";
import { enroll, newApiKey, testApp, TestClock, tokenFor } from "./helpers";
import { plantCopy, readCopy } from "./support/user-copies";

let key: string;
beforeAll(async () => {
  key = await newApiKey();
});

/** The console's domain functions need what the app gives a request. */
function operatorDeps(clock: TestClock): Deps {
  const trips = new RoundTrips();
  return {
    ...requestDatabases(env.DB, trips),
    config: readConfig(env),
    keyring: () => loadKeyring(env.SECRET_ENCRYPTION_KEYS),
    now: clock.now,
    client: {},
    copies: userCopies("totp.test", trips, () => {}),
    events: [],
    webhooks: webhookSettings(env),
  };
}

async function staleCopyOf(change: (user: Awaited<ReturnType<typeof enroll>>, clock: TestClock) => Promise<void>) {
  const clock = new TestClock();
  const user = await enroll(testApp({ now: clock.now }), key);
  const before = (await readCopy(user.userId))!;
  expect(before).not.toBeNull();
  await change(user, clock);
  await plantCopy(user.userId, before);
  forgetUserKey(user.userId);
  const app = createApp({ now: clock.now });
  const validate = async (token: string) => {
    const counted = countingD1(env);
    const res = await app.fetch(
      new Request(`https://totp.test/validate?api_key=${key}&userid=${user.userId}&token=${token}&format=1`),
      counted.env,
    );
    return { answer: (await res.json()) as { validation: string; code?: number }, trips: counted.roundTrips() };
  };
  const row = () =>
    env.DB.prepare("SELECT secret_ciphertext, secret_key_id, totp_drift, failed_attempts FROM users WHERE id = ?").bind(user.userId).first<{
      secret_ciphertext: string;
      secret_key_id: string;
      totp_drift: number;
      failed_attempts: number;
    }>();
  return { clock, user, validate, row };
}

describe("copies of users' rows near the Worker", () => {
  it("hold what D1 holds: the sealed secret, never the plain one", async () => {
    const user = await enroll(testApp(), key);
    const text = (await readCopy(user.userId))!;
    const copy = JSON.parse(text) as { secret: { ciphertext: string; sealKeyId: string } };
    const stored = await env.DB.prepare("SELECT secret_ciphertext, secret_key_id FROM users WHERE id = ?").bind(user.userId).first();
    expect(copy.secret).toEqual({ ciphertext: stored!.secret_ciphertext, sealKeyId: stored!.secret_key_id });
    const raw = Buffer.from(base32Decode(user.secret));
    for (const plain of [user.secret, raw.toString("base64"), raw.toString("base64url"), raw.toString("hex")])
      expect(text).not.toContain(plain);
  });

  it("a console reset is not bypassed: the old secret's code fails (counted once), the new one's passes", async () => {
    let secret = "";
    const { clock, user, validate, row } = await staleCopyOf(async (user, clock) => {
      const deps = operatorDeps(clock);
      const reset = await resetUserSecret(deps, "test", user.userId, (await userDetails(deps, user.userId))!.version);
      if (reset.outcome !== "done") throw new Error(reset.outcome);
      secret = reset.secret;
    });
    // The stale copy's write is refused by its guard (1), then the primary read (2) and the counted failure (3).
    expect(await validate(tokenFor(user.secret, clock.ms))).toEqual({ answer: expect.objectContaining({ validation: "false" }), trips: 3 });
    expect((await row())!.failed_attempts).toBe(1);
    expect((await validate(tokenFor(secret, clock.ms))).answer.validation).toBe("true");
  });

  it("a re-seal (key rotation) is not undone: the code passes through one more read, the new sealing stays", async () => {
    let resealed = "";
    const { clock, user, validate, row } = await staleCopyOf(async (user) => {
      const [ciphertext, keyId] = await sealAgain(user);
      resealed = ciphertext;
      await env.DB.prepare("UPDATE users SET secret_ciphertext = ?, secret_key_id = ? WHERE id = ?")
        .bind(ciphertext, keyId, user.userId)
        .run();
    });
    expect(await validate(tokenFor(user.secret, clock.ms))).toEqual({ answer: expect.objectContaining({ validation: "true" }), trips: 3 });
    expect((await row())!.secret_ciphertext).toBe(resealed);
  });

  it("a copy sealed under a key the keyring no longer has (rotated, old key dropped) is read past: the primary answers", async () => {
    const { clock, user, validate } = await staleCopyOf(async () => {});
    const copy = JSON.parse((await readCopy(user.userId))!) as object;
    await plantCopy(user.userId, JSON.stringify({ ...copy, secret: { keyId: "dropped", ciphertext: "x.y" } }));
    expect(await validate(tokenFor(user.secret, clock.ms))).toEqual({ answer: expect.objectContaining({ validation: "true" }), trips: 2 });
  });

  it("a deletion is not undone: the user stays unknown, nothing is written", async () => {
    const { clock, user, validate } = await staleCopyOf(async (user, clock) => {
      const deps = operatorDeps(clock);
      expect(await deleteUser(deps, "test", user.userId, (await userDetails(deps, user.userId))!.version)).toBe("done");
    });
    expect(await validate(tokenFor(user.secret, clock.ms))).toEqual({ answer: expect.objectContaining({ code: 4 }), trips: 1 });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM users WHERE id = ?").bind(user.userId).first("n")).toBe(0);
  });

  it("a resync is not undone: a code at the resynced drift passes and the drift stays the resync's", async () => {
    const { clock, user, validate, row } = await staleCopyOf(async (user, clock) => {
      const typed = [tokenFor(user.secret, clock.ms, 4), tokenFor(user.secret, clock.ms, 5)] as const;
      expect(await resyncUser(operatorDeps(clock), "test", user.userId, typed)).toMatchObject({ kind: "done", drift: 5 });
    });
    clock.advance(30);
    expect((await validate(tokenFor(user.secret, clock.ms, 5))).answer.validation).toBe("true");
    expect((await row())!.totp_drift).toBe(5);
    expect((await row())!.failed_attempts).toBe(0);
  });
});

/** The user's secret sealed anew (a new IV, so a new ciphertext), as a rotation's re-seal writes it. */
async function sealAgain(user: { userId: number; secret: string }): Promise<[string, string]> {
  const usernameKey = await env.DB.prepare("SELECT username_key FROM users WHERE id = ?").bind(user.userId).first<string>("username_key");
  const sealed = await seal(await loadKeyring(env.SECRET_ENCRYPTION_KEYS), base32Decode(user.secret), usernameKey!);
  return [sealed.ciphertext, sealed.sealKeyId];
}
