import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { enroll, newApiKey, testApp, TestClock, tokenFor } from "../helpers";

let key: string;
beforeAll(async () => {
  key = await newApiKey();
});

type Answer = { validation: string; code?: number };

/** Sends `tokens` (one request each) with at most `inFlight` requests outstanding. */
async function burst(call: ReturnType<typeof testApp>, userId: number, tokens: string[], inFlight = 50): Promise<Answer[]> {
  const answers: Answer[] = new Array(tokens.length);
  let next = 0;
  const worker = async () => {
    while (next < tokens.length) {
      const i = next++;
      const res = await call(`/validate?api_key=${key}&userid=${userId}&token=${tokens[i]}&format=1`);
      answers[i] = (await res.json()) as Answer;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return answers;
}

const attemptState = (userId: number) =>
  env.DB.prepare("SELECT failed_attempts, locked_until FROM users WHERE id = ?")
    .bind(userId)
    .first<{ failed_attempts: number; locked_until: number }>();
const accepted = (answers: Answer[]) => answers.filter((a) => a.validation === "true").length;
const lastStep = async (userId: number) =>
  (await env.DB.prepare("SELECT last_step FROM users WHERE id = ?").bind(userId).first<number>("last_step"))!;

describe("replay under concurrency (RFC 6238 §5.2)", () => {
  it("1,000 concurrent submissions of one valid token yield exactly one acceptance", async () => {
    const clock = new TestClock();
    const call = testApp({ now: clock.now });
    const user = await enroll(call, key);
    const answers = await burst(call, user.userId, Array(1000).fill(tokenFor(user.secret, clock.ms)));
    expect(accepted(answers)).toBe(1);
    // Every other answer says why: already used. A replay counts nothing, so the burst locks nobody.
    expect(answers.filter((a) => a.code === 8).length).toBe(999);
    expect(await attemptState(user.userId)).toEqual({ failed_attempts: 0, locked_until: 0 });
  });

  it("replays cost nothing: the failure count stays where it was and a later wrong code still counts", async () => {
    const clock = new TestClock();
    const call = testApp({ now: clock.now });
    const user = await enroll(call, key);
    const token = tokenFor(user.secret, clock.ms);
    expect(accepted(await burst(call, user.userId, [token]))).toBe(1);
    const wrong = await burst(call, user.userId, Array(3).fill(tokenFor(user.secret, clock.ms, 5)), 1);
    expect(wrong.map((a) => a.code)).toEqual([undefined, undefined, undefined]);
    const replays = await burst(call, user.userId, Array(40).fill(token), 10);
    expect(new Set(replays.map((a) => a.code))).toEqual(new Set([8]));
    expect(await attemptState(user.userId)).toEqual({ failed_attempts: 3, locked_until: 0 });
    // The counter still counts: two more wrong codes reach the threshold of 5, the next is locked.
    const more = await burst(call, user.userId, Array(3).fill(tokenFor(user.secret, clock.ms, 5)), 1);
    expect(more.map((a) => a.code)).toEqual([undefined, undefined, 6]);
  });

  it.each([-1, 1])("a token of step offset %i within the window is accepted at most once", async (offset) => {
    const clock = new TestClock();
    const call = testApp({ now: clock.now });
    const user = await enroll(call, key);
    const answers = await burst(call, user.userId, Array(1000).fill(tokenFor(user.secret, clock.ms, offset)));
    expect(accepted(answers)).toBe(1);
  });

  it("no token of an earlier step is accepted once a later step was", async () => {
    const clock = new TestClock();
    const call = testApp({ now: clock.now });
    const user = await enroll(call, key);
    expect(accepted(await burst(call, user.userId, [tokenFor(user.secret, clock.ms, 1)]))).toBe(1);
    const earlier = [tokenFor(user.secret, clock.ms, -1), tokenFor(user.secret, clock.ms, 0), tokenFor(user.secret, clock.ms, 1)];
    const answers = await burst(
      call,
      user.userId,
      Array.from({ length: 999 }, (_, i) => earlier[i % 3]!),
    );
    expect(accepted(answers)).toBe(0);
  });

  it("a mixed burst of the three window steps accepts each step at most once, in increasing order", async () => {
    const clock = new TestClock();
    const call = testApp({ now: clock.now });
    const user = await enroll(call, key);
    const tokens = [-1, 0, 1].map((o) => tokenFor(user.secret, clock.ms, o));
    const answers = await burst(
      call,
      user.userId,
      Array.from({ length: 999 }, (_, i) => tokens[i % 3]!),
    );
    const perStep = [0, 1, 2].map((s) => answers.filter((a, i) => i % 3 === s && a.validation === "true").length);
    for (const n of perStep) expect(n).toBeLessThanOrEqual(1);
    expect(accepted(answers)).toBeGreaterThanOrEqual(1);
    // The stored step is the highest one accepted: acceptance never went backwards.
    const highest = Math.max(...perStep.map((n, s) => (n ? s - 1 : -Infinity)));
    expect(await lastStep(user.userId)).toBe(Math.floor(clock.ms / 30_000) + highest);
  });
});
