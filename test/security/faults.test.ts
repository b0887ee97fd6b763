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

  it("validate: a failed reservation counts nothing, a failed acceptance leaves the token usable", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const clock = new TestClock();
    const user = await enroll(testApp({ now: clock.now }), key);
    const token = tokenFor(user.secret, clock.ms);
    const path = `/validate?api_key=${key}&userid=${user.userId}&token=${token}&format=1`;
    // Fails the reservation batch: nothing is counted.
    expect((await faultyApp(/update "users" set "failed_attempts"/i, clock)(path)).status).toBe(500);
    const attempts = () => env.DB.prepare("SELECT failed_attempts FROM users WHERE id = ?").bind(user.userId).first<number>("failed_attempts");
    expect(await attempts()).toBe(0);
    // Fails the acceptance: the token is not marked used.
    expect((await faultyApp(/update "users" set "last_step"/i, clock)(path)).status).toBe(500);
    const row = await env.DB.prepare("SELECT last_step FROM users WHERE id = ?").bind(user.userId).first<number>("last_step");
    expect(row).toBe(-1);
    const res = await testApp({ now: clock.now })(path);
    expect(((await res.json()) as { validation: string }).validation).toBe("true");
    vi.restoreAllMocks();
  });
});
