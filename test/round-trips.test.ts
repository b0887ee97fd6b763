import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { loadKeyring, seal } from "../src/crypto/secret-box";
import { createApp } from "../src/index";
import { base32Decode } from "../src/otp/base32";
import { countingD1 } from "./counting-d1";
import { enroll, newApiKey, testApp, TestClock, tokenFor } from "./helpers";

let key: string;
beforeAll(async () => {
  key = await newApiKey();
});

async function setup() {
  const clock = new TestClock();
  const user = await enroll(testApp({ now: clock.now }), key);
  const app = createApp({ now: clock.now });
  /** Sends one validate and returns its answer and the D1 round trips it made. */
  const validate = async (query: string) => {
    const counted = countingD1(env);
    const res = await app.fetch(
      new Request(`https://totp.test/validate?api_key=${key}&userid=${user.userId}&format=1&${query}`),
      counted.env,
    );
    return { answer: (await res.json()) as { validation: string; code?: number }, trips: counted.roundTrips() };
  };
  return { clock, user, validate };
}

describe("D1 round trips of validate", () => {
  it("first sight of a user in an isolate: read, then write (2); after that, check then write (1)", async () => {
    const { clock, user, validate } = await setup();
    const token = tokenFor(user.secret, clock.ms);
    const wrong = `token=${tokenFor(user.secret, clock.ms, 5)}`;
    expect(await validate(`token=${token}`)).toEqual({ answer: expect.objectContaining({ validation: "true" }), trips: 2 });
    expect(await validate(`token=${token}`)).toEqual({ answer: expect.objectContaining({ code: 8 }), trips: 1 });
    expect((await validate("send=1")).trips).toBe(1);
    for (let i = 0; i < 5; i++)
      expect(await validate(wrong)).toEqual({ answer: expect.objectContaining({ validation: "false" }), trips: 1 });
    expect(await validate(wrong)).toEqual({ answer: expect.objectContaining({ code: 6 }), trips: 1 });
    expect((await validate("token=12345")).trips).toBe(1);
    clock.advance(31);
    expect(await validate(`token=${tokenFor(user.secret, clock.ms)}`)).toEqual({
      answer: expect.objectContaining({ validation: "true" }),
      trips: 1,
    });
  });

  it("a wrong code on first sight costs 2, and a replay on first sight is refused after the read alone", async () => {
    const { clock, user, validate } = await setup();
    expect((await validate(`token=${tokenFor(user.secret, clock.ms, 5)}`)).trips).toBe(2);
    const other = await setup();
    await env.DB.prepare("UPDATE users SET last_step = ? WHERE id = ?")
      .bind(Math.floor(other.clock.ms / 30_000), other.user.userId)
      .run();
    expect(await other.validate(`token=${tokenFor(other.user.secret, other.clock.ms)}`)).toEqual({
      answer: expect.objectContaining({ code: 8 }),
      trips: 1,
    });
  });

  it("a secret re-sealed since it was cached (a key rotation) still validates, through one more read", async () => {
    const { clock, user, validate } = await setup();
    expect((await validate(`token=${tokenFor(user.secret, clock.ms)}`)).answer.validation).toBe("true");
    const reseal = async () => {
      const row = (await env.DB.prepare("SELECT username_key FROM users WHERE id = ?")
        .bind(user.userId)
        .first<{ username_key: string }>())!;
      const sealed = await seal(await loadKeyring(env.SECRET_ENCRYPTION_KEYS), base32Decode(user.secret), row.username_key);
      await env.DB.prepare("UPDATE users SET secret_ciphertext = ? WHERE id = ?").bind(sealed.ciphertext, user.userId).run();
    };
    await reseal();
    clock.advance(30);
    expect(await validate(`token=${tokenFor(user.secret, clock.ms)}`)).toEqual({
      answer: expect.objectContaining({ validation: "true" }),
      trips: 3,
    });
    // A wrong code through a stale cache entry is counted once, against the current secret.
    await reseal();
    expect((await validate(`token=${tokenFor(user.secret, clock.ms, 5)}`)).trips).toBe(3);
    expect(await env.DB.prepare("SELECT failed_attempts FROM users WHERE id = ?").bind(user.userId).first("failed_attempts")).toBe(1);
  });
});
