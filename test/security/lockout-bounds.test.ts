import { newEventId } from "../../src/domain/events";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { INTEGER_SETTINGS } from "../../src/config";
import type { LockoutPolicy } from "../../src/db/lockout";
import { recordFailure } from "../../src/db/attempts";
import { maxDoublings } from "../../src/db/lockout";
import { getDb } from "../../src/db/client";
import { hashApiKey } from "../../src/crypto/api-keys";
import { createApp } from "../../src/index";
import { enroll, newApiKey, testApp, TestClock, tokenFor } from "../helpers";

let key: string;
beforeAll(async () => {
  key = await newApiKey();
});

const setting = (name: string) => INTEGER_SETTINGS.find((s) => s.name === name)!;
const lockedUntil = async (userId: number) =>
  (await env.DB.prepare("SELECT locked_until FROM users WHERE id = ?").bind(userId).first<number>("locked_until"))!;

/**
 * Fails `failures` times in a row, each time just as the previous lock ends, through the real
 * failure-count statement, and returns every lock's length in ms.
 */
async function lockLengths(policy: LockoutPolicy, failures: number): Promise<number[]> {
  const { userId } = await enroll(testApp(), key);
  const db = getDb(env.DB);
  const ciphertext = (await env.DB.prepare("SELECT secret_ciphertext FROM users WHERE id = ?")
    .bind(userId)
    .first<string>("secret_ciphertext"))!;
  const guard = { keyHash: await hashApiKey(key), ciphertext, drift: 0 };
  let now = Date.UTC(2026, 0, 1);
  const lengths: number[] = [];
  for (let i = 1; i <= failures; i++) {
    const write = await recordFailure(db, userId, guard, now, policy, newEventId());
    expect(write.written, `failure ${i} is counted`).toBe(true);
    if (i >= policy.threshold) {
      lengths.push(write.state!.lockedUntil - now);
      now = write.state!.lockedUntil;
    }
  }
  return lengths;
}

describe("lock time (HIGH: it used to overflow)", () => {
  it("threshold 1, base 86,400 s: a hundred failures in a row each set a lock between base and max (the 38th set none)", async () => {
    const clock = new TestClock();
    const settings = { LOCKOUT_THRESHOLD: "1", LOCKOUT_BASE_SECONDS: "86400", LOCKOUT_MAX_SECONDS: "604800" };
    const app = createApp({ now: clock.now });
    const call = (path: string) => app.fetch(new Request(`https://totp.test${path}`), { ...env, ...settings });
    const { userId, secret } = await enroll(testApp(), key);
    for (let i = 1; i <= 100; i++) {
      const wrong = tokenFor(secret, clock.ms, 5);
      const answer = (await (await call(`/validate?api_key=${key}&userid=${userId}&token=${wrong}&format=1`)).json()) as {
        response: string;
      };
      expect(answer.response, `failure ${i}`).toBe("OTP is not valid");
      const lock = (await lockedUntil(userId)) - clock.ms;
      expect(lock, `lock after failure ${i}`).toBeGreaterThanOrEqual(86_400_000);
      expect(lock, `lock after failure ${i}`).toBeLessThanOrEqual(604_800_000);
      // During the lock even the right code is refused; when it ends, the next failure counts again.
      const right = (await (
        await call(`/validate?api_key=${key}&userid=${userId}&token=${tokenFor(secret, clock.ms)}&format=1`)
      ).json()) as { code?: number };
      expect(right.code).toBe(6);
      clock.ms += lock;
    }
  }, 60_000);

  it("every extreme of threshold, base and max keeps each lock between base and max over thousands of failures", async () => {
    const [threshold, base, max] = ["LOCKOUT_THRESHOLD", "LOCKOUT_BASE_SECONDS", "LOCKOUT_MAX_SECONDS"].map(setting);
    // Every pair of base and max at the common threshold; the threshold's own extremes with the widest range.
    const cases: Array<[number, number, number, number]> = [];
    for (const b of [base!.min, 30, 8_389, base!.max]) {
      for (const m of [b, 900, max!.max]) if (m >= b) cases.push([5, b, m, 60]);
    }
    cases.push(
      [threshold!.min, base!.max, max!.max, 3_000],
      [threshold!.min, base!.min, max!.max, 200],
      [threshold!.max, base!.max, max!.max, 200],
    );
    for (const [t, b, m, pastThreshold] of cases) {
      const policy = { threshold: t, baseMs: b * 1000, maxMs: m * 1000 };
      // Past the threshold: enough failures to pass any doubling, and the old shift cap of 40, many times.
      const lengths = await lockLengths(policy, t + pastThreshold);
      const label = `threshold ${t}, base ${b} s, max ${m} s`;
      expect(Math.min(...lengths), label).toBe(policy.baseMs);
      expect(Math.max(...lengths), label).toBe(policy.maxMs);
      // Doubling, then flat at the maximum.
      for (let i = 1; i < lengths.length; i++) expect(lengths[i], label).toBe(Math.min(policy.maxMs, lengths[i - 1]! * 2));
    }
  }, 120_000);

  it("the doubling cap keeps the shifted value under 2^31 for every allowed setting", () => {
    const [base, max] = ["LOCKOUT_BASE_SECONDS", "LOCKOUT_MAX_SECONDS"].map(setting);
    for (const b of [base!.min, 2, 3, 7, 30, 8_389, 65_537, base!.max]) {
      for (const m of [b, b + 1, 900, 604_799, max!.max]) {
        if (m < b) continue;
        const policy = { threshold: 1, baseMs: b * 1000, maxMs: m * 1000 };
        const shifted = policy.baseMs * 2 ** maxDoublings(policy);
        expect(shifted).toBeGreaterThanOrEqual(policy.maxMs);
        expect(shifted).toBeLessThan(2 ** 31);
      }
    }
  });
});
