import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { createApp } from "../src/index";
import { countingD1 } from "./counting-d1";
import { withFaultyD1 } from "./faulty-d1";
import { enroll, newApiKey, testApp, TestClock, tokenFor, uniqueEmail } from "./helpers";

let key: string;
beforeAll(async () => {
  key = await newApiKey();
});

/** Counts and a duration, nothing else: no name, key, secret or value of the request can appear in it. */
const HEADER = /^d1;dur=(\d+\.\d);desc="(\d+) round trips?"(?:, copy;dur=\d+\.\d;desc="\d+ near reads?")?$/;

/** Sends a request; returns its status, its Server-Timing round trips, and the round trips the binding itself saw. */
async function timed(path: string, init?: RequestInit, clock = new TestClock()) {
  const counting = countingD1(env);
  const res = await createApp({ now: clock.now }).fetch(new Request(`https://totp.test${path}`, init), counting.env);
  await res.arrayBuffer();
  const header = res.headers.get("server-timing") ?? "";
  const match = HEADER.exec(header);
  if (!match) throw new Error(`Server-Timing of ${path.split("?")[0]}: ${JSON.stringify(header)}`);
  expect(Number(match[1])).toBeGreaterThanOrEqual(0);
  return { status: res.status, reported: Number(match[2]), seen: counting.roundTrips() };
}

const q = encodeURIComponent;

describe("Server-Timing", () => {
  it("reports every API answer's D1 round trips, as the binding saw them, errors included", async () => {
    const clock = new TestClock();
    const user = await enroll(testApp({ now: clock.now }), key);
    const qr = new URL(user.hashqr);
    const cases: Array<[string, number]> = [
      [`/createuser?api_key=${key}&email=${q(uniqueEmail("timing"))}&format=1`, 1],
      [`/createuser?api_key=${key}&email=${q(user.email)}&format=1`, 1],
      [`/createuser?api_key=${key}&format=9`, 1],
      // First sight of the user in the isolate: the copy createuser left near, then the guarded write.
      [`/validate?api_key=${key}&userid=${user.userId}&token=${tokenFor(user.secret, clock.ms)}&format=1`, 1],
      [`/validate?api_key=${key}&userid=${user.userId}&token=${tokenFor(user.secret, clock.ms)}&format=1`, 1],
      [`/validate?api_key=${key}&userid=${user.userId}&token=${tokenFor(user.secret, clock.ms, 5)}`, 1],
      [`/validate?api_key=${key}&userid=999999999&token=123456`, 1],
      [`/validate?api_key=wrong-${Date.now()}&userid=${user.userId}&token=123456`, 1],
      [`/api.php?action=listusers&limit=1&api_key=${key}`, 1],
      [`/api.php?action=deletelocaluser&user=${q(uniqueEmail("nobody"))}&api_key=${key}`, 1],
      [`/api.php?action=nothing&api_key=${key}`, 1],
      [`${qr.pathname}${qr.search}`, 1],
      [`${qr.pathname}?secret=AAAA`, 2],
      ["/healthz", 1],
      ["/nowhere", 0],
      ["/docs", 0],
    ];
    for (const [path, trips] of cases) {
      const answer = await timed(path, undefined, clock);
      expect([path, answer.reported, answer.seen]).toEqual([path, trips, trips]);
    }
  });

  it("is on transport errors and server faults too", async () => {
    expect(await timed("/validate", { method: "PUT" })).toEqual({ status: 405, reported: 0, seen: 0 });
    expect(await timed(`/validate?x=${"a".repeat(9000)}`)).toEqual({ status: 413, reported: 0, seen: 0 });
    vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await createApp().fetch(
      new Request(`https://totp.test/createuser?api_key=${key}&email=${q(uniqueEmail("fault"))}`),
      withFaultyD1(env, /insert into "users"/i),
    );
    vi.restoreAllMocks();
    expect(res.status).toBe(500);
    expect(res.headers.get("server-timing")).toMatch(/^d1;dur=\d+\.\d;desc="1 round trip"$/);
  });

  it("counts a streamed list's round trips made before the answer starts: the key check with the first page", async () => {
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
       INSERT INTO users (username, username_key, secret_ciphertext, secret_key_id)
       SELECT 'timing-' || i || '@example.com', 'timing-' || i || '@example.com', 'x.x', 't1' FROM n`,
    ).run();
    expect(await timed(`/api.php?action=listusers&limit=1500&api_key=${key}`)).toMatchObject({ reported: 1, seen: 2 });
  });
});
