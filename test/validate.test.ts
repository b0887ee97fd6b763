import { describe, expect, it } from "vitest";
import { enroll, newApiKey, testApp, TestClock, tokenFor } from "./helpers";

describe("validate", () => {
  it("accepts a fresh token once, then refuses it as used", async () => {
    const clock = new TestClock();
    const call = testApp({ now: clock.now });
    const key = await newApiKey();
    const user = await enroll(call, key);
    const token = tokenFor(user.secret, clock.ms);
    const first = await call(`/validate?api_key=${key}&userid=${user.userId}&token=${token}&format=1`);
    expect(await first.json()).toEqual({ response: "OTP is valid", userid: user.userId, validation: "true" });
    const again = await call(`/validate?api_key=${key}&userid=${user.userId}&token=${token}&format=1`);
    expect(await again.json()).toEqual({
      response: "token already used",
      userid: user.userId,
      validation: "false",
      error: "token already used",
      code: 8,
    });
  });
});
