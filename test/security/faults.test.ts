import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/index";
import { withFaultyD1 } from "../faulty-d1";
import { enroll, newApiKey, testApp, TestClock, tokenFor, uniqueEmail } from "../helpers";

let key: string;
beforeAll(async () => {
  key = await newApiKey();
});

function faultyApp(failing: RegExp, clock = new TestClock()) {
  const app = createApp({ now: clock.now });
  const faulty = withFaultyD1(env, failing);
  return (path: string) => app.fetch(new Request(`https://totp.test${path}`), faulty);
}

const userRows = async (email: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM users WHERE username_key = ?").bind(email.toLowerCase()).first<number>("n"))!;

describe("a D1 failure mid-request", () => {
  it("createuser: a plain 500 without internals, and no user written", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const email = uniqueEmail("fault");
    const res = await faultyApp(/insert into "users"/i)(`/createuser?api_key=${key}&email=${encodeURIComponent(email)}&format=1`);
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).toBe("Internal Server Error");
    expect(await userRows(email)).toBe(0);
    // Logged once, by kind only: nothing of the request (the key, the email) reaches the log.
    const logged = JSON.stringify(errors.mock.calls);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(logged).not.toContain(key);
    expect(logged).not.toContain(email);
    errors.mockRestore();
    // The same request succeeds once storage is back.
    const retry = await testApp()(`/createuser?api_key=${key}&email=${encodeURIComponent(email)}&format=1`);
    expect(((await retry.json()) as { success: string }).success).toBe("true");
  });

  it("validate: a fault on the failure count or the acceptance counts nothing and leaves the token usable", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const clock = new TestClock();
    const user = await enroll(testApp({ now: clock.now }), key);
    const token = tokenFor(user.secret, clock.ms);
    const path = `/validate?api_key=${key}&userid=${user.userId}&token=${token}&format=1`;
    const state = () => env.DB.prepare("SELECT failed_attempts, locked_until, last_step FROM users WHERE id = ?").bind(user.userId).first();
    // The failure count fails: a 500, and nothing counted.
    const wrong = `/validate?api_key=${key}&userid=${user.userId}&token=${tokenFor(user.secret, clock.ms, 5)}&format=1`;
    expect((await faultyApp(/update "users" set "failed_attempts"/i, clock)(wrong)).status).toBe(500);
    expect(await state()).toEqual({ failed_attempts: 0, locked_until: 0, last_step: -1 });
    // The acceptance fails: the token is not marked used.
    expect((await faultyApp(/update "users" set "last_step"/i, clock)(path)).status).toBe(500);
    expect(await state()).toEqual({ failed_attempts: 0, locked_until: 0, last_step: -1 });
    const res = await testApp({ now: clock.now })(path);
    expect(((await res.json()) as { validation: string }).validation).toBe("true");
    vi.restoreAllMocks();
  });

  it("validate: a keyring without the user's key answers 500 and counts nothing, however often", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const clock = new TestClock();
    const user = await enroll(testApp({ now: clock.now }), key);
    const path = () => `/validate?api_key=${key}&userid=${user.userId}&token=${tokenFor(user.secret, clock.ms)}&format=1`;
    // The operator dropped the key that sealed this user's secret (the fault the lock used to punish).
    const app = createApp({ now: clock.now });
    const broken = { ...env, SECRET_ENCRYPTION_KEYS: `other:${btoa(String.fromCharCode(...new Uint8Array(32).fill(9)))}` };
    for (let i = 0; i < 12; i++) {
      expect((await app.fetch(new Request(`https://totp.test${path()}`), broken)).status).toBe(500);
      clock.advance(30);
    }
    const row = await env.DB.prepare("SELECT failed_attempts, locked_until FROM users WHERE id = ?").bind(user.userId).first();
    expect(row).toEqual({ failed_attempts: 0, locked_until: 0 });
    // The keyring fixed, the right code works at once.
    const res = await testApp({ now: clock.now })(path());
    expect(((await res.json()) as { validation: string }).validation).toBe("true");
    vi.restoreAllMocks();
  });
});
