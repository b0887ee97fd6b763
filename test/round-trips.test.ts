import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/index";
import { countingD1 } from "./counting-d1";
import { enroll, newApiKey, testApp, TestClock, tokenFor } from "./helpers";

let key: string;
beforeAll(async () => {
  key = await newApiKey();
});

describe("D1 round trips of validate", () => {
  it("valid 2, replay 1, wrong 2 (the token is checked before it is counted), locked 1, send=1 1", async () => {
    const clock = new TestClock();
    const user = await enroll(testApp({ now: clock.now }), key);
    const app = createApp({ now: clock.now });
    const trips = async (query: string) => {
      const counted = countingD1(env);
      await (await app.fetch(new Request(`https://totp.test/validate?api_key=${key}&userid=${user.userId}&${query}`), counted.env)).text();
      return counted.roundTrips();
    };
    const token = tokenFor(user.secret, clock.ms);
    const wrong = `token=${tokenFor(user.secret, clock.ms, 5)}`;
    expect(await trips(`token=${token}`)).toBe(2);
    expect(await trips(`token=${token}`)).toBe(1);
    expect(await trips("send=1")).toBe(1);
    for (let i = 0; i < 5; i++) expect(await trips(wrong)).toBe(2);
    expect(await trips(wrong)).toBe(1);
    expect(await trips("token=12345")).toBe(1);
  });
});
