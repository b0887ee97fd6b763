import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/index";
import { countingD1 } from "../counting-d1";
import { enroll, newApiKey, testApp, TestClock, tokenFor } from "../helpers";

let key: string;
beforeAll(async () => {
  key = await newApiKey();
});

/** The app over a D1 that counts round trips, with an injectable clock. */
/** Requests with an execution context, as in production: work after the answer (the refused-key counts) runs beside them; `settle` waits for it. */
function countedApp(clock = new TestClock()) {
  const app = createApp({ now: clock.now });
  const counted = countingD1(env);
  const after: Promise<void>[] = [];
  const call = async (path: string, address?: string) => {
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request(`https://totp.test${path}`, { headers: address ? { "CF-Connecting-IP": address } : {} }),
      counted.env,
      ctx,
    );
    after.push(waitOnExecutionContext(ctx));
    return res;
  };
  const settle = () => Promise.all(after.splice(0));
  return { call, roundTrips: counted.roundTrips, clock, settle };
}

const randomKey = () => `flood${crypto.randomUUID().replaceAll("-", "")}`;
/** A fresh documentation address per run: the rate limiter's buckets outlive a test file. */
const randomAddress = () => `203.0.113.${1 + Math.floor(Math.random() * 250)}-${crypto.randomUUID().slice(0, 8)}`;

describe("anonymous floods of wrong API keys", () => {
  it("a key refused moments ago is refused again without a D1 query, until 30 s have passed", async () => {
    const { call, roundTrips, clock } = countedApp();
    const wrong = randomKey();
    const path = `/validate?api_key=${wrong}&userid=1&token=123456&format=1`;
    const first = await (await call(path)).text();
    expect(roundTrips()).toBe(1);
    for (let i = 0; i < 50; i++) expect(await (await call(path)).text()).toBe(first);
    expect(roundTrips()).toBe(1);
    expect(JSON.parse(first)).toMatchObject({ response: "invalid api key", code: 1 });
    clock.advance(31);
    await call(path);
    expect(roundTrips()).toBe(2);
  });

  it("an address past the refusal limit gets 429 without a D1 query; a key accepted from it keeps working, other addresses too", async () => {
    const { call, roundTrips, clock, settle } = countedApp();
    const flooder = randomAddress();
    const user = await enroll(testApp({ now: clock.now }), key);
    // The legitimate key was accepted from this address (say, a shared NAT) before the flood.
    expect(await (await call(`/validate?api_key=${key}&userid=${user.userId}&send=1&format=3`, flooder)).status).toBe(200);
    let refused = 0;
    let limited: Response | undefined;
    // wrangler.toml allows 30 refusals per 10 s window; a window may end mid-run, hence up to 2 windows.
    while (!limited && refused < 61) {
      const res = await call(`/createuser?api_key=${randomKey()}&email=x@example.com&format=1`, flooder);
      if (res.status === 429) limited = res;
      else refused++;
    }
    expect(limited, `429 after ${refused} refusals`).toBeDefined();
    expect(limited!.headers.get("retry-after")).toBe("10");
    expect(await limited!.text()).toBe("Too Many Requests");
    await settle(); // the refusals' audit count, written after the answers
    const before = roundTrips();
    for (let i = 0; i < 100; i++) expect((await call(`/validate?api_key=${randomKey()}&userid=1&token=123456`, flooder)).status).toBe(429);
    expect(roundTrips()).toBe(before);
    // The accepted key still validates from the flooding address, and other addresses are untouched.
    const ok = await call(`/validate?api_key=${key}&userid=${user.userId}&token=${tokenFor(user.secret, clock.ms)}&format=3`, flooder);
    expect(await ok.text()).toBe("true");
    expect((await call(`/createuser?api_key=${randomKey()}&email=x@example.com&format=1`, randomAddress())).status).toBe(200);
    // The block ends after its 10 s.
    clock.advance(11);
    expect((await call(`/createuser?api_key=${randomKey()}&email=x@example.com&format=1`, flooder)).status).not.toBe(429);
  });

  it("IPv6 clients count by their /64: wrong keys from ever new addresses of one /64 get 429 as from one address", async () => {
    const { call } = countedApp();
    const site = `2001:db8:${crypto.randomUUID().slice(0, 4)}`;
    const prefix = `${site}:a`;
    let refused = 0;
    let limited = false;
    while (!limited && refused < 61) {
      const res = await call(`/createuser?api_key=${randomKey()}&email=x@example.com&format=1`, `${prefix}:${refused.toString(16)}::1`);
      if (res.status === 429) limited = true;
      else refused++;
    }
    expect(limited, `429 after ${refused} refusals`).toBe(true);
    // Another /64 of the same /48 is another client.
    expect((await call(`/createuser?api_key=${randomKey()}&email=x@example.com&format=1`, `${site}:b::1`)).status).toBe(200);
  });

  it("callers without a client address (direct calls in tests) are never rate limited", async () => {
    const { call } = countedApp();
    for (let i = 0; i < 80; i++) expect((await call(`/createuser?api_key=${randomKey()}&email=x@example.com&format=1`)).status).toBe(200);
  });
});
