import { describe, expect, it } from "vitest";
import * as OTPAuth from "otpauth";
import { base32Decode, base32Encode } from "../src/otp/base32";
import { loadKeyring, open, seal } from "../src/crypto/secret-box";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("base32 (RFC 4648 §10 test vectors)", () => {
  it.each([
    ["", ""],
    ["f", "MY"],
    ["fo", "MZXQ"],
    ["foo", "MZXW6"],
    ["foob", "MZXW6YQ"],
    ["fooba", "MZXW6YTB"],
    ["foobar", "MZXW6YTBOI"],
  ])("%j <-> %s", (plain, encoded) => {
    expect(base32Encode(bytes(plain))).toBe(encoded);
    expect(new TextDecoder().decode(base32Decode(encoded))).toBe(plain);
  });

  it("agrees with an independent implementation on random secrets", () => {
    for (let i = 0; i < 50; i++) {
      const secret = crypto.getRandomValues(new Uint8Array(20));
      const ours = base32Encode(secret);
      expect(ours).toBe(new OTPAuth.Secret({ buffer: secret.buffer }).base32);
      expect(base32Decode(ours.toLowerCase())).toEqual(secret);
    }
  });

  it("refuses characters outside the alphabet", () => {
    expect(() => base32Decode("MZ1W")).toThrow(RangeError);
  });
});

describe("secret box (AES-GCM at rest)", () => {
  const k1 = `k1:${btoa(String.fromCharCode(...new Uint8Array(32).fill(1)))}`;
  const k2 = `k2:${btoa(String.fromCharCode(...new Uint8Array(32).fill(2)))}`;

  it("seals under the first key and opens with any key of the ring", async () => {
    const old = await loadKeyring(k1);
    const sealed = await seal(old, bytes("secret"), "alice");
    expect(sealed.sealKeyId).toBe("k1");
    expect(sealed.ciphertext).not.toContain(btoa("secret").slice(0, 6));
    const rotated = await loadKeyring(`${k2},${k1}`);
    expect(new TextDecoder().decode(await open(rotated, sealed, "alice"))).toBe("secret");
    expect((await seal(rotated, bytes("x"), "bob")).sealKeyId).toBe("k2");
  });

  it("does not open under another user's context", async () => {
    const ring = await loadKeyring(k1);
    const sealed = await seal(ring, bytes("secret"), "alice");
    await expect(open(ring, sealed, "mallory")).rejects.toThrow();
  });

  it.each([
    ["", "not set"],
    ["k1", "kid:base64key"],
    ["k1:AAAA", "32 bytes"],
    [`${k1},${k1}`, "twice"],
  ])("refuses a bad keyring %j clearly", async (config, message) => {
    await expect(loadKeyring(config)).rejects.toThrow(message);
  });
});
