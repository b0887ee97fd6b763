import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/index";
import { timeStep } from "../src/otp/totp";
import { countingD1 } from "./counting-d1";
import { enroll, newApiKey, TestClock, testApp } from "./helpers";
import { adminSession, formPost, pageGet } from "./support/pages";
import { codeOf, insertTokenUser, userRow } from "./support/token-users";

let key: string;
beforeAll(async () => {
  key = await newApiKey();
});

const SHA1_6_30 = { algorithm: "SHA1", digits: 6, period: 30 } as const;

async function setup() {
  const clock = new TestClock();
  const call = testApp({ now: clock.now });
  const admin = await adminSession(clock.ms);
  const validate = async (userId: number, token: string) =>
    (await (await call(`/validate?api_key=${key}&userid=${userId}&token=${token}&format=1`)).json()) as {
      response: string;
      code?: number;
    };
  const resync = (userId: number, code1: string, code2: string) => call(`/admin/users/${userId}/resync`, formPost(admin, { code1, code2 }));
  return { clock, call, admin, validate, resync };
}

const auditOf = async (id: number) =>
  (
    await env.DB.prepare("SELECT actor, action, outcome FROM audit_log WHERE target LIKE ? ORDER BY id").bind(`user ${id} %`).all<{
      actor: string;
      action: string;
      outcome: string;
    }>()
  ).results;

describe("drift (RFC 6238 §6)", () => {
  it("a token 2 steps fast is refused, accepted after a resync, and drift follows it as it runs further ahead", async () => {
    const { clock, validate, resync, admin, call } = await setup();
    const { userId, secret } = await enroll(testApp({ now: clock.now }), key);
    const user = { secret, token: SHA1_6_30 };
    expect((await validate(userId, codeOf(user, clock.ms, 2))).response).toBe("OTP is not valid");

    // The user reads the token's code, and the next one 30 s later; the operator types both.
    clock.advance(30);
    const res = await resync(userId, codeOf(user, clock.ms, 1), codeOf(user, clock.ms, 2));
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/admin/users/${userId}?done=resynced`);
    const now = timeStep(clock.ms);
    expect(await userRow(userId)).toMatchObject({ totp_drift: 2, last_step: now + 2, failed_attempts: 0 });
    expect(await auditOf(userId)).toEqual([{ actor: admin.name, action: "user.resync", outcome: "ok" }]);
    const page = await (await call(`/admin/users/${userId}`, pageGet(admin))).text();
    expect(page).toContain("+2 steps (about 60 s ahead)");
    expect(page).toContain("SHA1, 6 digits, 30 s steps");

    clock.advance(30);
    expect((await validate(userId, codeOf(user, clock.ms, 2))).response).toBe("OTP is valid");
    expect((await validate(userId, codeOf(user, clock.ms, 2))).code).toBe(8);
    // The token's clock runs further ahead: each step is within ±1 of the last drift, which follows it.
    for (const ahead of [3, 4, 5]) {
      clock.advance(30);
      expect((await validate(userId, codeOf(user, clock.ms, ahead))).response, `${ahead} steps ahead`).toBe("OTP is valid");
      expect((await userRow(userId))!.totp_drift).toBe(ahead);
    }
  });

  it("a recorded drift never refuses a right clock: the server's own window stays open beside the drift's", async () => {
    const { clock, validate } = await setup();
    // A code typed late recorded -1; the next code comes from a clock a little ahead.
    const user = await insertTokenUser(SHA1_6_30, { drift: -1 });
    expect((await validate(user.userId, codeOf(user, clock.ms, 1))).response).toBe("OTP is valid");
    expect((await userRow(user.userId))!.totp_drift).toBe(1);
    // Far from both windows: wrong.
    clock.advance(30);
    expect((await validate(user.userId, codeOf(user, clock.ms, 4))).response).toBe("OTP is not valid");
  });

  it("the lock and replay rules are unchanged by a drift", async () => {
    const { clock, validate } = await setup();
    const user = await insertTokenUser({ algorithm: "SHA256", digits: 8, period: 60 }, { drift: -4 });
    for (let i = 0; i < 5; i++) expect((await validate(user.userId, codeOf(user, clock.ms, 9))).response).toBe("OTP is not valid");
    expect((await validate(user.userId, codeOf(user, clock.ms, -4))).code).toBe(6);
    clock.advance(31);
    const code = codeOf(user, clock.ms, -4);
    expect((await validate(user.userId, code)).response).toBe("OTP is valid");
    expect((await validate(user.userId, code)).code).toBe(8);
    expect((await validate(user.userId, codeOf(user, clock.ms, -5))).code).toBe(8);
  });

  it("a drift changed by another isolate is read again before a code is counted wrong (the write is guarded by it)", async () => {
    const clock = new TestClock();
    const user = await insertTokenUser(SHA1_6_30);
    const app = createApp({ now: clock.now });
    const validate = async (token: string) => {
      const counted = countingD1(env);
      const res = await app.fetch(
        new Request(`https://totp.test/validate?api_key=${key}&userid=${user.userId}&token=${token}&format=1`),
        counted.env,
      );
      return { response: ((await res.json()) as { response: string }).response, trips: counted.roundTrips() };
    };
    expect(await validate(codeOf(user, clock.ms))).toEqual({ response: "OTP is valid", trips: 2 });
    // Another isolate resynced the token 5 steps ahead; this one still has drift 0 cached with the key.
    await env.DB.prepare("UPDATE users SET totp_drift = 5 WHERE id = ?").bind(user.userId).run();
    clock.advance(30);
    expect(await validate(codeOf(user, clock.ms, 5))).toEqual({ response: "OTP is valid", trips: 3 });
    expect(await userRow(user.userId)).toMatchObject({ failed_attempts: 0, totp_drift: 5 });
    clock.advance(30);
    expect(await validate(codeOf(user, clock.ms, 5))).toEqual({ response: "OTP is valid", trips: 1 });
  });
});

describe("the console's resync", () => {
  it("counts wrong codes as one failed attempt, checks nothing while locked, never moves back, records each in the audit trail", async () => {
    const { clock, validate, resync, admin } = await setup();
    const user = await insertTokenUser({ algorithm: "SHA512", digits: 8, period: 60 });
    const wrong = await resync(user.userId, codeOf(user, clock.ms, 3), codeOf(user, clock.ms, 5));
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain("This counted as one failed attempt.");
    expect((await userRow(user.userId))!.failed_attempts).toBe(1);

    const malformed = await resync(user.userId, "123456", codeOf(user, clock.ms));
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toContain("Enter two codes of 8 digits each");
    expect((await userRow(user.userId))!.failed_attempts).toBe(1);

    // Two consecutive codes 10 steps (the default RESYNC_WINDOW_STEPS) behind: found.
    expect((await resync(user.userId, codeOf(user, clock.ms, -10), codeOf(user, clock.ms, -9))).status).toBe(303);
    expect(await userRow(user.userId)).toMatchObject({ totp_drift: -9, failed_attempts: 0 });
    // Earlier than the step just accepted: refused, nothing changed.
    const used = await resync(user.userId, codeOf(user, clock.ms, -10), codeOf(user, clock.ms, -9));
    expect(await used.text()).toContain("not later than a code already accepted");
    expect((await userRow(user.userId))!.totp_drift).toBe(-9);

    for (let i = 0; i < 5; i++) await validate(user.userId, codeOf(user, clock.ms, 20));
    const locked = await resync(user.userId, codeOf(user, clock.ms, 1), codeOf(user, clock.ms, 2));
    expect(await locked.text()).toContain("unlock them first");
    expect(await userRow(user.userId)).toMatchObject({ totp_drift: -9, failed_attempts: 5 });
    expect((await auditOf(user.userId)).map((e) => `${e.actor} ${e.action} ${e.outcome}`)).toEqual([
      `${admin.name} user.resync failed`,
      `${admin.name} user.resync ok`,
      `${admin.name} user.resync refused`,
      `${admin.name} user.resync refused`,
    ]);
  });

  it("looks no further than RESYNC_WINDOW_STEPS", async () => {
    const clock = new TestClock();
    const admin = await adminSession(clock.ms);
    const app = createApp({ now: clock.now });
    const user = await insertTokenUser(SHA1_6_30);
    const post = (ahead: number) =>
      app.fetch(
        new Request(
          `https://totp.test/admin/users/${user.userId}/resync`,
          formPost(admin, { code1: codeOf(user, clock.ms, ahead - 1), code2: codeOf(user, clock.ms, ahead) }),
        ),
        { ...env, RESYNC_WINDOW_STEPS: "3" },
      );
    expect((await post(5)).status).toBe(400);
    expect((await post(4)).status).toBe(303);
    expect((await userRow(user.userId))!.totp_drift).toBe(4);
  });
});
