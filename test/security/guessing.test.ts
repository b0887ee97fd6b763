import { beforeAll, describe, expect, it } from "vitest";
import { enroll, newApiKey, testApp, TestClock, tokenFor } from "../helpers";

let key: string;
beforeAll(async () => {
  key = await newApiKey();
});

type Answer = { validation: string; code?: number; response: string };

describe("online guessing", () => {
  it("a guesser hammering one user for 15 simulated minutes gets at most 10 tokens checked", async () => {
    const clock = new TestClock();
    const call = testApp({ now: clock.now });
    const user = await enroll(call, key);
    const start = clock.ms;
    let checked = 0;
    let locked = 0;
    let guess = 0;
    // Two guesses per simulated second, each a different wrong code: far more than the lock lets through.
    while (clock.ms - start < 15 * 60_000) {
      let token = String(guess++ % 1_000_000).padStart(6, "0");
      if ([-1, 0, 1].some((o) => tokenFor(user.secret, clock.ms, o) === token)) token = String(guess++).padStart(6, "0");
      const a = (await (await call(`/validate?api_key=${key}&userid=${user.userId}&token=${token}&format=1`)).json()) as Answer;
      if (a.response === "OTP is not valid") checked++;
      else if (a.code === 6) locked++;
      else throw new Error(`unexpected answer ${JSON.stringify(a)}`);
      clock.advance(0.5);
    }
    expect(checked).toBeGreaterThanOrEqual(5);
    expect(checked).toBeLessThanOrEqual(10);
    expect(locked).toBeGreaterThan(1700);
    // Locked now: even the right code is refused without being checked, with the same answer.
    const right = (await (
      await call(`/validate?api_key=${key}&userid=${user.userId}&token=${tokenFor(user.secret, clock.ms)}&format=1`)
    ).json()) as Answer;
    expect(right.code).toBe(6);
    // After the announced wait, the right code works and resets the counter.
    clock.advance(Number(/retry in (\d+) s/.exec(right.response)![1]));
    const ok = (await (
      await call(`/validate?api_key=${key}&userid=${user.userId}&token=${tokenFor(user.secret, clock.ms)}&format=1`)
    ).json()) as Answer;
    expect(ok.validation).toBe("true");
    for (let i = 0; i < 4; i++) {
      const a = (await (
        await call(`/validate?api_key=${key}&userid=${user.userId}&token=${tokenFor(user.secret, clock.ms, 5)}&format=1`)
      ).json()) as Answer;
      expect(a.response).toBe("OTP is not valid");
    }
  }, 30_000);

  it("concurrent guesses cannot outrun the lock: 200 at once get at most 5 checked", async () => {
    const clock = new TestClock();
    const call = testApp({ now: clock.now });
    const user = await enroll(call, key);
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        const token = String(100000 + i);
        return call(`/validate?api_key=${key}&userid=${user.userId}&token=${token}&format=1`).then((r) => r.json() as Promise<Answer>);
      }),
    );
    const checked = answers.filter((a) => a.code === undefined).length;
    expect(checked).toBeLessThanOrEqual(5);
    expect(answers.filter((a) => a.code === 6).length).toBe(200 - checked);
  });

  it("is limited per user, not per API key or client address: one user's lock leaves the others alone", async () => {
    // Decision (SECURITY.md): the API's caller is the relying party's server, so every end user's
    // login arrives from the same address with the same key; limiting those would let one attacker
    // lock everybody out. The per-user lock is what bounds guessing of any one user's codes.
    const clock = new TestClock();
    const call = testApp({ now: clock.now });
    const victims = await Promise.all(Array.from({ length: 5 }, () => enroll(call, key)));
    const bystander = await enroll(call, key);
    for (const v of victims) {
      for (let i = 0; i < 20; i++) {
        await call(`/validate?api_key=${key}&userid=${v.userId}&token=${tokenFor(v.secret, clock.ms, 7)}&format=1`, {
          headers: { "CF-Connecting-IP": "203.0.113.9" },
        });
      }
    }
    const res = await call(`/validate?api_key=${key}&userid=${bystander.userId}&token=${tokenFor(bystander.secret, clock.ms)}&format=1`, {
      headers: { "CF-Connecting-IP": "203.0.113.9" },
    });
    expect(((await res.json()) as Answer).validation).toBe("true");
  });
});
