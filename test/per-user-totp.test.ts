import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { loadKeyring, seal } from "../src/crypto/secret-box";
import { qrSvg } from "../src/formats/qr-svg";
import { createApp } from "../src/index";
import { type OtpAlgorithm, otpKey } from "../src/otp/hmac";
import { hotp } from "../src/otp/hotp";
import { countingD1 } from "./counting-d1";
import { newApiKey, TestClock } from "./helpers";
import { codeOf, insertTokenUser, userRow } from "./support/token-users";
import { hotp as webCryptoHotp, importHmacKey } from "./support/webcrypto-otp";

let key: string;
beforeAll(async () => {
  key = await newApiKey();
});

type Answer = { response: string; validation: string; code?: number };

function validator(clock: TestClock) {
  const app = createApp({ now: clock.now });
  return async (userId: number | string, token: string) => {
    const counted = countingD1(env);
    const res = await app.fetch(
      new Request(`https://totp.test/validate?api_key=${key}&userid=${userId}&token=${token}&format=1`),
      counted.env,
    );
    return { answer: (await res.json()) as Answer, trips: counted.roundTrips() };
  };
}

const WEBCRYPTO = { SHA1: "SHA-1", SHA256: "SHA-256", SHA512: "SHA-512" } as const;

describe("HOTP over SHA-256 and SHA-512 (src/otp)", () => {
  it.each(["SHA1", "SHA256", "SHA512"] as OtpAlgorithm[])("%s agrees with WebCrypto for keys of every block length", async (algorithm) => {
    for (const length of [10, 20, 32, 64, 65, 128, 129]) {
      const secret = crypto.getRandomValues(new Uint8Array(length));
      const reference = await importHmacKey(secret, WEBCRYPTO[algorithm]);
      const ours = otpKey(secret, algorithm);
      for (const counter of [0, 1, 0xffffffff, 2 ** 32, 2 ** 40 + 12345]) {
        expect(String(hotp(ours, counter, 8)).padStart(8, "0")).toBe(await webCryptoHotp(reference, counter, 8));
      }
    }
  });

  it("keys of different algorithms interleaved do not disturb each other (they share per-algorithm working copies)", () => {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const [a, b, c] = (["SHA1", "SHA256", "SHA512"] as const).map((algorithm) => otpKey(secret, algorithm));
    const alone = [hotp(a!, 7), hotp(b!, 7), hotp(c!, 7)];
    expect([hotp(c!, 7), hotp(a!, 7), hotp(b!, 7)]).toEqual([alone[2], alone[0], alone[1]]);
    expect(new Set(alone).size).toBe(3);
  });
});

describe("validate with each user's own parameters", () => {
  it.each([
    { algorithm: "SHA1", digits: 6, period: 30 },
    { algorithm: "SHA256", digits: 8, period: 60 },
    { algorithm: "SHA512", digits: 6, period: 30 },
  ] as const)("$algorithm, $digits digits, $period s: the token's code is valid once, a code of other parameters is not", async (token) => {
    const clock = new TestClock();
    const validate = validator(clock);
    const user = await insertTokenUser(token);
    expect((await validate(user.userId, codeOf(user, clock.ms))).answer).toMatchObject({ response: "OTP is valid" });
    expect((await validate(user.userId, codeOf(user, clock.ms))).answer).toMatchObject({ code: 8 });
    clock.advance(token.period);
    // The same secret under createuser's parameters (or SHA-1 for a SHA-2 token) computes another code.
    const other = {
      ...user,
      token: { algorithm: token.algorithm === "SHA1" ? "SHA256" : "SHA1", digits: token.digits, period: 30 },
    } as const;
    const wrong = codeOf(other, clock.ms);
    if (wrong !== codeOf(user, clock.ms))
      expect((await validate(user.userId, wrong)).answer).toMatchObject({ response: "OTP is not valid" });
    expect((await validate(user.userId, codeOf(user, clock.ms))).answer).toMatchObject({ response: "OTP is valid" });
  });

  it("a 60 s token's window is ±1 of its own steps: a code 60 s old is valid, one 120 s old is not", async () => {
    const clock = new TestClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const validate = validator(clock);
    const user = await insertTokenUser({ algorithm: "SHA256", digits: 8, period: 60 });
    expect((await validate(user.userId, codeOf(user, clock.ms, -2))).answer.response).toBe("OTP is not valid");
    expect((await validate(user.userId, codeOf(user, clock.ms, 1))).answer.response).toBe("OTP is valid");
    const other = await insertTokenUser({ algorithm: "SHA256", digits: 8, period: 60 });
    expect((await validate(other.userId, codeOf(other, clock.ms, -1))).answer.response).toBe("OTP is valid");
  });

  it("a token of another length than the user's is malformed (code 3) and counts nothing; 6-digit users answer as before", async () => {
    const clock = new TestClock();
    const validate = validator(clock);
    const eight = await insertTokenUser({ algorithm: "SHA256", digits: 8, period: 30 });
    const six = await insertTokenUser({ algorithm: "SHA1", digits: 6, period: 30 });
    const malformed = { response: "invalid parameter: token", validation: "false", code: 3 };
    for (const [user, token] of [
      [eight, codeOf(eight, clock.ms).slice(2)],
      [eight, "1234567"],
      [six, "12345678"],
      [six, "1234567"],
    ] as const) {
      expect((await validate(user.userId, token)).answer, `${user.token.digits}-digit user, token ${token.length}`).toEqual({
        ...malformed,
        userid: user.userId,
        error: malformed.response,
      });
    }
    expect((await userRow(eight.userId))!.failed_attempts).toBe(0);
    expect((await userRow(six.userId))!.failed_attempts).toBe(0);
    // A userid that names nobody has the default 6 digits: 8 digits are malformed, 6 are checked (user not found).
    expect((await validate(999_999_999, "12345678")).answer).toMatchObject({ code: 3 });
    expect((await validate(999_999_999, "123456")).answer).toMatchObject({ code: 4 });
  });

  it("the parameters travel with the cached key: first sight 2 round trips, then 1; a malformed length costs what it did (1)", async () => {
    const clock = new TestClock();
    const validate = validator(clock);
    const user = await insertTokenUser({ algorithm: "SHA512", digits: 8, period: 60 });
    expect(await validate(user.userId, codeOf(user, clock.ms))).toEqual({
      answer: expect.objectContaining({ validation: "true" }),
      trips: 2,
    });
    clock.advance(60);
    expect(await validate(user.userId, codeOf(user, clock.ms))).toEqual({
      answer: expect.objectContaining({ validation: "true" }),
      trips: 1,
    });
    expect(await validate(user.userId, codeOf(user, clock.ms, 5))).toEqual({
      answer: expect.objectContaining({ validation: "false" }),
      trips: 1,
    });
    expect(await validate(user.userId, "123456")).toEqual({ answer: expect.objectContaining({ code: 3 }), trips: 1 });
  });

  it("parameters changed with the secret elsewhere (a reset) are read again, even for a token the cached length refuses", async () => {
    const clock = new TestClock();
    const validate = validator(clock);
    const user = await insertTokenUser({ algorithm: "SHA256", digits: 8, period: 60 });
    expect((await validate(user.userId, codeOf(user, clock.ms))).answer.validation).toBe("true");
    // What a console reset does (another isolate): a new secret, createuser's parameters.
    const secret = crypto.getRandomValues(new Uint8Array(20));
    const sealed = await seal(await loadKeyring(env.SECRET_ENCRYPTION_KEYS), secret, user.username.toLowerCase());
    await env.DB.prepare(
      "UPDATE users SET secret_ciphertext = ?, totp_algorithm = 'SHA1', totp_digits = 6, totp_period = 30, last_step = -1, totp_drift = 0 WHERE id = ?",
    )
      .bind(sealed.ciphertext, user.userId)
      .run();
    const reset = {
      ...user,
      secret: (await import("../src/otp/base32")).base32Encode(secret),
      token: { algorithm: "SHA1", digits: 6, period: 30 },
    } as const;
    expect((await validate(user.userId, codeOf(reset, clock.ms))).answer).toMatchObject({ response: "OTP is valid" });
  });

  it("hashqr carries the user's algorithm, digits and period; createuser's users keep SHA1, 6, 30", async () => {
    const app = createApp();
    const user = await insertTokenUser({ algorithm: "SHA512", digits: 8, period: 60 }, { username: `qr-${Date.now()}@example.com` });
    const res = await app.fetch(new Request(`https://totp.test/qr/${user.userId}.svg?secret=${user.secret}`), env);
    expect(res.status).toBe(200);
    const uri = `otpauth://totp/totp-edge:${encodeURIComponent(user.username)}?secret=${user.secret}&issuer=totp-edge&algorithm=SHA512&digits=8&period=60`;
    expect(await res.text()).toBe(qrSvg(uri, 256));
  });
});
