import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/index";
import { withFaultyD1 } from "../faulty-d1";
import { enroll, newApiKey, testApp, TestClock, tokenFor } from "../helpers";

let key: string;
beforeAll(async () => {
  key = await newApiKey();
});
afterEach(() => vi.restoreAllMocks());

/** Everything the worker writes to its console while `scenario` runs. */
async function captureConsole(scenario: () => Promise<void>): Promise<string> {
  const lines: unknown[][] = [];
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args));
  }
  await scenario();
  return lines.map((args) => args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ")).join("\n");
}

describe("secrets stay secret", () => {
  it("the database holds neither the TOTP secret nor the API key in clear", async () => {
    const user = await enroll(testApp(), key);
    const rows = JSON.stringify([
      (await env.DB.prepare("SELECT * FROM users").all()).results,
      (await env.DB.prepare("SELECT * FROM api_keys").all()).results,
    ]);
    expect(rows).not.toContain(user.secret);
    expect(rows.toLowerCase()).not.toContain(user.secret.toLowerCase());
    expect(rows).not.toContain(key);
  });

  it("a full scenario logs no secret, API key or token", async () => {
    const clock = new TestClock();
    const call = testApp({ now: clock.now });
    const secrets: string[] = [key];
    const log = await captureConsole(async () => {
      const user = await enroll(call, key);
      secrets.push(user.secret);
      const token = tokenFor(user.secret, clock.ms);
      const wrong = tokenFor(user.secret, clock.ms, 4);
      secrets.push(token, wrong);
      const q = `api_key=${key}&userid=${user.userId}&format=1`;
      await call(`/validate?${q}&token=${token}`);
      await call(`/validate?${q}&token=${token}`);
      for (let i = 0; i < 6; i++) await call(`/validate?${q}&token=${wrong}`);
      await call(new URL(user.hashqr).pathname + new URL(user.hashqr).search);
      await call(`/validate?api_key=${key}x&userid=${user.userId}&token=${token}`);
      await call("/createuser", { method: "POST", body: new URLSearchParams({ api_key: key, email: "x@y.zz", format: "1" }) });
      // A storage fault makes the worker log an error: that line must not quote the request either.
      const faulty = withFaultyD1(env, /from "users"/i);
      await createApp({ now: clock.now }).fetch(new Request(`https://totp.test/validate?${q}&token=${token}`), faulty);
    });
    expect(log).toContain("unhandled"); // the capture works: the fault was logged
    for (const secret of secrets) {
      expect(log).not.toContain(secret);
      expect(log.toLowerCase()).not.toContain(secret.toLowerCase());
    }
  });
});
