import { describe, expect, it } from "vitest";
import rfc4226 from "./vectors/rfc4226.json";
import rfc6238 from "./vectors/rfc6238.json";
import { hotp as hotpSha1 } from "../src/otp/hotp";
import { hotp, importHmacKey } from "./support/webcrypto-otp";
import { hmacSha1Key } from "../src/otp/hmac-sha1";
import { matchTotpStep, timeStep } from "../src/otp/totp";

// The synchronous HMAC-SHA1 that validate uses (noble, with a reused working copy) is held to the
// RFC vectors and to WebCrypto on inputs the vectors do not reach (long keys, counters past 2^32).
const ascii = (text: string) => new TextEncoder().encode(text);
const pad = (code: number, digits: number) => String(code).padStart(digits, "0");

describe("hotpSha1 against RFC 4226 Appendix D", () => {
  const key = hmacSha1Key(ascii(rfc4226.secret_ascii));
  it.each(rfc4226.vectors)("counter $counter gives $hotp", ({ counter, hotp: expected }) => {
    expect(pad(hotpSha1(key, counter, rfc4226.digits), rfc4226.digits)).toBe(expected);
  });
});

describe("hotpSha1 against RFC 6238 Appendix B (SHA1 rows)", () => {
  const key = hmacSha1Key(ascii(rfc6238.secrets_ascii.SHA1));
  const params = { period: rfc6238.period, t0: rfc6238.t0, digits: rfc6238.digits, window: 0 };
  it.each(rfc6238.vectors.filter((v) => v.algorithm === "SHA1"))("at $time gives $totp", ({ time, totp: expected }) => {
    expect(pad(hotpSha1(key, timeStep(time * 1000, params), params.digits), params.digits)).toBe(expected);
    expect(matchTotpStep(key, expected, time * 1000, params)).toBe(timeStep(time * 1000, params));
  });
});

describe("hotpSha1 agrees with WebCrypto HMAC-SHA1", () => {
  it.each([1, 10, 20, 63, 64, 65, 100, 200])("with a %i-byte key", async (length) => {
    const secret = crypto.getRandomValues(new Uint8Array(length));
    const reference = await importHmacKey(secret);
    const key = hmacSha1Key(secret);
    for (const counter of [0, 1, 0xffffffff, 2 ** 32, 2 ** 40 + 12345, Number.MAX_SAFE_INTEGER]) {
      expect(pad(hotpSha1(key, counter, 8), 8)).toBe(await hotp(reference, counter, 8));
    }
  });
});

describe("matchTotpStep", () => {
  const key = hmacSha1Key(ascii(rfc4226.secret_ascii));
  const params = { period: 30, t0: 0, digits: 6, window: 1 };
  const now = 1_000 * 30 * 1000 + 5_000; // step 1000
  const code = (step: number) => pad(hotpSha1(key, step, 6), 6);

  it("accepts the current step and its neighbours within the window, and names the step", () => {
    for (const step of [999, 1000, 1001]) expect(matchTotpStep(key, code(step), now, params)).toBe(step);
  });

  it("refuses steps outside the window", () => {
    for (const step of [997, 998, 1002, 1003]) {
      const token = code(step);
      if ([999, 1000, 1001].some((s) => code(s) === token)) continue; // a chance collision is a match
      expect(matchTotpStep(key, token, now, params)).toBeNull();
    }
  });

  it("refuses tokens that are not exactly `digits` decimal digits, even when their number matches", () => {
    const token = code(1000);
    expect(matchTotpStep(key, token.slice(1), now, params)).toBeNull();
    expect(matchTotpStep(key, ` ${token.slice(1)}`, now, params)).toBeNull();
    expect(matchTotpStep(key, `${token}0`, now, params)).toBeNull();
    expect(matchTotpStep(key, `+${token.slice(1)}`, now, params)).toBeNull();
  });
});
