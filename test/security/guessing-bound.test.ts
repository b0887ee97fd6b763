import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { ConfigError, type Env, guessSuccessesPerDay, MAX_GUESS_SUCCESSES_PER_DAY, readConfig } from "../../src/config";
import type { LockoutPolicy } from "../../src/db/lockout";
import { hashApiKey } from "../../src/crypto/api-keys";
import { recordFailure } from "../../src/db/attempts";
import { newEventId } from "../../src/domain/events";
import { getDb } from "../../src/db/client";
import { guessesPerDay } from "../../src/db/lockout";
import { createApp } from "../../src/index";
import { otpKey } from "../../src/otp/hmac";
import { DEFAULT_TOTP, matchTotpStep, mostStepsTried, timeStep } from "../../src/otp/totp";
import { hotp } from "../../src/otp/hotp";
import { enroll, newApiKey, testApp } from "../helpers";

let key: string;
beforeAll(async () => {
  key = await newApiKey();
});

const DAY_MS = 86_400_000;

/**
 * An attacker who guesses whenever a guess can be counted, for 24 h from a fresh counter, through
 * the real failure-count statement: how many guesses were checked.
 */
async function simulatedGuesses(policy: LockoutPolicy): Promise<number> {
  const { userId } = await enroll(testApp(), key);
  const ciphertext = (await env.DB.prepare("SELECT secret_ciphertext FROM users WHERE id = ?")
    .bind(userId)
    .first<string>("secret_ciphertext"))!;
  const guard = { keyHash: await hashApiKey(key), ciphertext, drift: 0 };
  const start = Date.UTC(2026, 0, 1);
  let now = start;
  let guesses = 0;
  while (now < start + DAY_MS) {
    const write = await recordFailure(getDb(env.DB), userId, guard, now, policy, newEventId());
    expect(write.written, `guess ${guesses + 1} is counted`).toBe(true);
    guesses++;
    now = Math.max(now, write.state!.lockedUntil);
  }
  return guesses;
}

const problemWith = (vars: Partial<Env>): string | null => {
  try {
    readConfig({ DB: env.DB, ...vars });
    return null;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message;
  }
};

describe("guesses a day (MEDIUM: settings could switch the lockout off)", () => {
  it.each([
    [{ threshold: 5, baseMs: 30_000, maxMs: 900_000 }, 104],
    [{ threshold: 1, baseMs: 1_000, maxMs: 900_000 }, 105],
    [{ threshold: 5, baseMs: 600_000, maxMs: 3_600_000 }, 30],
    [{ threshold: 10, baseMs: 86_400_000, maxMs: 604_800_000 }, 10],
    [{ threshold: 3, baseMs: 600_000, maxMs: 600_000 }, 3 + 143],
  ])(
    "%o: guessesPerDay equals 24 h of the real lock arithmetic",
    async (policy, expected) => {
      expect(guessesPerDay(policy)).toBe(expected);
      expect(await simulatedGuesses(policy)).toBe(expected);
    },
    60_000,
  );

  it("mostStepsTried is what matchTotpStep tries for a drifted user, and never fewer", () => {
    const key = otpKey(new TextEncoder().encode("12345678901234567890"), "SHA1");
    const now = Date.UTC(2026, 0, 1);
    const current = timeStep(now);
    for (const [window, drift] of [
      [0, 0],
      [1, 0],
      [1, 5],
      [2, 10],
      [2, 2],
      [10, -30],
    ] as const) {
      const params = { ...DEFAULT_TOTP, window };
      let tried = 0;
      for (let step = current - 60; step <= current + 60; step++) {
        if (matchTotpStep(key, String(hotp(key, step, 6)).padStart(6, "0"), now, params, drift) === step) tried++;
      }
      const apart = Math.abs(drift) > 2 * window;
      expect(tried, `window ${window}, drift ${drift}`).toBe(
        apart ? mostStepsTried(window) : 2 * window + 1 + Math.min(Math.abs(drift), 2 * window + 1),
      );
      expect(tried).toBeLessThanOrEqual(mostStepsTried(window));
    }
  });
});

describe("readConfig refuses settings above the guessing bound", () => {
  it("the defaults: 104 guesses × 6 steps ÷ 10^6 = 6.24 × 10⁻⁴ a day for a drifted user (3.12 × 10⁻⁴ for one without drift)", () => {
    const config = readConfig({ DB: env.DB });
    expect(guessSuccessesPerDay(config)).toBeCloseTo(6.24e-4, 10);
    expect(guessSuccessesPerDay(config) / 2).toBeCloseTo(3.12e-4, 10);
    expect(guessSuccessesPerDay(config)).toBeLessThanOrEqual(MAX_GUESS_SUCCESSES_PER_DAY);
  });

  it("the issue's settings are refused, naming the figure", () => {
    const issue = { LOCKOUT_THRESHOLD: "1000", LOCKOUT_BASE_SECONDS: "1", LOCKOUT_MAX_SECONDS: "1", TOTP_DRIFT_STEPS: "10" };
    // No threshold above 500 can meet the bound with any other setting: its range ends there.
    expect(problemWith(issue)).toBe('LOCKOUT_THRESHOLD must be an integer from 1 to 500, got "1000"');
    expect(problemWith({ ...issue, LOCKOUT_THRESHOLD: "500" })).toBe(
      "LOCKOUT_THRESHOLD, LOCKOUT_BASE_SECONDS, LOCKOUT_MAX_SECONDS and TOTP_DRIFT_STEPS allow 3.65 expected successful guesses " +
        "per user per day (86899 guesses × 42 steps ÷ 10^6); at most 0.001 is allowed: lower the threshold, lengthen the locks or narrow the window",
    );
  });

  it.each([
    [{ TOTP_DRIFT_STEPS: "2" }, "0.00104"],
    [{ LOCKOUT_THRESHOLD: "80" }, "0.00107"],
    [{ LOCKOUT_BASE_SECONDS: "1", LOCKOUT_MAX_SECONDS: "1" }, "0.518"],
    [{ LOCKOUT_MAX_SECONDS: "300" }, "0.00177"],
  ])("%o is refused (%s a day)", (vars, figure) => {
    expect(problemWith(vars)).toContain(`allow ${figure} expected successful guesses per user per day`);
  });

  it.each([
    { TOTP_DRIFT_STEPS: "10", LOCKOUT_THRESHOLD: "1", LOCKOUT_BASE_SECONDS: "86400", LOCKOUT_MAX_SECONDS: "604800" },
    { TOTP_DRIFT_STEPS: "0", LOCKOUT_THRESHOLD: "500", LOCKOUT_BASE_SECONDS: "86400", LOCKOUT_MAX_SECONDS: "86400" },
    { LOCKOUT_THRESHOLD: "3", LOCKOUT_BASE_SECONDS: "60", LOCKOUT_MAX_SECONDS: "3600" },
  ])("%o is accepted (at most 0.001 a day)", (vars) => {
    expect(problemWith(vars)).toBeNull();
  });

  it("a Worker so configured answers 500 and logs the figure, as for any bad setting", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void lines.push(args.join(" ")));
    vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      const res = await createApp().fetch(new Request("https://totp.test/healthz"), { ...env, LOCKOUT_THRESHOLD: "100" });
      expect(res.status).toBe(500);
      expect(lines.join("\n")).toContain("expected successful guesses per user per day");
    } finally {
      vi.restoreAllMocks();
    }
  });
});
