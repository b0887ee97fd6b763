import { hmac } from "@noble/hashes/hmac.js";
import { sha1 } from "@noble/hashes/legacy.js";

/**
 * HMAC-SHA1 (RFC 2104) for HOTP, synchronously, over @noble/hashes.
 *
 * Why not crypto.subtle on the hot path: HOTP signs an 8-byte counter, and each WebCrypto call is
 * an async round trip through the runtime that costs far more than the two SHA-1 blocks it hashes.
 * A prepared key holds the hash states after its ipad and opad blocks (noble does this in
 * `hmac.create`), so one code costs two compressions. SHA-1's collision weakness does not matter
 * here: HMAC-SHA1 is still a sound PRF (RFC 6194 §3.3), and authenticator apps speak SHA-1.
 */
export type HmacSha1Key = ReturnType<typeof hmac.create>;

export function hmacSha1Key(secret: Uint8Array): HmacSha1Key {
  return hmac.create(sha1, secret);
}

/** One working copy, refilled from the prepared key per message: no allocation per code. */
const scratch = hmac.create(sha1, new Uint8Array(0));
const counterBytes = new Uint8Array(8);
const counterView = new DataView(counterBytes.buffer);

/** HMAC-SHA1 of the 8-byte big-endian counter (RFC 4226 §5.2). The result is valid until the next call. */
export function hmacSha1Counter(key: HmacSha1Key, counter: number): Uint8Array {
  counterView.setUint32(0, Math.floor(counter / 2 ** 32));
  counterView.setUint32(4, counter >>> 0);
  key._cloneInto(scratch);
  return scratch.update(counterBytes).digest();
}
