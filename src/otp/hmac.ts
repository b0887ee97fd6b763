import { hmac } from "@noble/hashes/hmac.js";
import { sha1 } from "@noble/hashes/legacy.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";

/**
 * The HMAC hashes a TOTP may use (RFC 6238 §1.2): SHA-1 for authenticator apps, SHA-256 and
 * SHA-512 for the hardware tokens and appliances whose seeds are imported.
 */
export const OTP_ALGORITHMS = ["SHA1", "SHA256", "SHA512"] as const;
export type OtpAlgorithm = (typeof OTP_ALGORITHMS)[number];

const HASHES = { SHA1: sha1, SHA256: sha256, SHA512: sha512 } as const;
type Mac = ReturnType<typeof hmac.create>;

/**
 * A user's HMAC key, prepared once, synchronously, over @noble/hashes.
 *
 * Why not crypto.subtle on the hot path: HOTP signs an 8-byte counter, and each WebCrypto call is
 * an async round trip through the runtime that costs far more than the two compressions it needs.
 * The prepared key holds the hash states after its ipad and opad blocks (noble does this in
 * `hmac.create`), so one code costs two compressions. SHA-1's collision weakness does not matter
 * here: HMAC-SHA1 is still a sound PRF (RFC 6194 §3.3), and authenticator apps speak SHA-1.
 */
export interface OtpKey {
  readonly algorithm: OtpAlgorithm;
  readonly prepared: Mac;
  /** The working copy of this hash, shared by every key of the algorithm: no allocation per code. */
  readonly scratch: Mac;
}

const scratches = new Map<OtpAlgorithm, Mac>();

export function otpKey(secret: Uint8Array, algorithm: OtpAlgorithm): OtpKey {
  let scratch = scratches.get(algorithm);
  if (!scratch) {
    scratch = hmac.create(HASHES[algorithm], new Uint8Array(0));
    scratches.set(algorithm, scratch);
  }
  return { algorithm, prepared: hmac.create(HASHES[algorithm], secret), scratch };
}

const counterBytes = new Uint8Array(8);
const counterView = new DataView(counterBytes.buffer);

/** The HMAC of the 8-byte big-endian counter (RFC 4226 §5.2). The result is valid until the next call. */
export function hmacCounter(key: OtpKey, counter: number): Uint8Array {
  counterView.setUint32(0, Math.floor(counter / 2 ** 32));
  counterView.setUint32(4, counter >>> 0);
  key.prepared._cloneInto(key.scratch);
  return key.scratch.update(counterBytes).digest();
}
