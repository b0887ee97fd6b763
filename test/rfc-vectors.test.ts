import { beforeAll, describe, expect, it } from "vitest";
import rfc4226 from "./vectors/rfc4226.json";
import rfc6238 from "./vectors/rfc6238.json";
import type { OtpAlgorithm } from "../src/otp/hmac";
import { timeStep } from "../src/otp/totp";
import { newApiKey, testApp } from "./helpers";
import { insertTokenUser } from "./support/token-users";
import { hotp, importHmacKey, totp, type HashAlgorithm } from "./support/webcrypto-otp";

const ascii = (text: string) => new TextEncoder().encode(text);
const ALGORITHMS: Record<string, HashAlgorithm> = { SHA1: "SHA-1", SHA256: "SHA-256", SHA512: "SHA-512" };

describe("RFC 4226 Appendix D", () => {
  it.each(rfc4226.vectors)("counter $counter gives $hotp", async ({ counter, hotp: expected }) => {
    const key = await importHmacKey(ascii(rfc4226.secret_ascii), "SHA-1");
    expect(await hotp(key, counter, rfc4226.digits)).toBe(expected);
  });
});

describe("RFC 6238 Appendix B", () => {
  it.each(rfc6238.vectors)("$algorithm at $time gives $totp", async ({ time, algorithm, totp: expected, step_hex }) => {
    const secret = rfc6238.secrets_ascii[algorithm as keyof typeof rfc6238.secrets_ascii];
    const key = await importHmacKey(ascii(secret), ALGORITHMS[algorithm]!);
    const params = { period: rfc6238.period, t0: rfc6238.t0, digits: rfc6238.digits, window: 0 };
    expect(timeStep(time * 1000, params)).toBe(parseInt(step_hex, 16));
    expect(await totp(key, time * 1000, params)).toBe(expected);
  });
});

describe("RFC 6238 Appendix B through GET /validate (8 digits, each hash, as an imported token)", () => {
  let key: string;
  beforeAll(async () => {
    key = await newApiKey();
  });

  it.each(rfc6238.vectors)("$algorithm at $time: $totp is valid, once", async ({ time, algorithm, totp: expected }) => {
    const secret = ascii(rfc6238.secrets_ascii[algorithm as keyof typeof rfc6238.secrets_ascii]);
    const token = { algorithm: algorithm as OtpAlgorithm, digits: 8, period: 30 } as const;
    expect(rfc6238.period).toBe(token.period);
    const user = await insertTokenUser(token, { secret });
    const call = testApp({ now: () => time * 1000 });
    const validate = async () =>
      (await (await call(`/validate?api_key=${key}&userid=${user.userId}&token=${expected}&format=1`)).json()) as { response: string };
    expect(await validate()).toMatchObject({ response: "OTP is valid" });
    expect(await validate()).toMatchObject({ response: "token already used" });
  });
});
