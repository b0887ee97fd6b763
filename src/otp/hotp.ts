import { hmacSha1Counter, type HmacSha1Key } from "./hmac-sha1";

export type HashAlgorithm = "SHA-1" | "SHA-256" | "SHA-512";

/** An HMAC key imported once and reused: importKey per request is a measurable cost on the hot path. */
export function importHmacKey(secret: Uint8Array, algorithm: HashAlgorithm = "SHA-1"): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: algorithm }, false, ["sign"]);
}

function counterBytes(counter: number): Uint8Array {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError("counter must be a non-negative safe integer");
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, Math.floor(counter / 2 ** 32));
  view.setUint32(4, counter >>> 0);
  return bytes;
}

/**
 * RFC 4226 §5.3 over WebCrypto: HMAC over the 8-byte big-endian counter, dynamic truncation,
 * modulo 10^digits. For SHA-256/SHA-512 (RFC 6238 allows them) and as a second implementation
 * in the tests; validate uses the synchronous hotpSha1 below.
 */
export async function hotp(key: CryptoKey, counter: number, digits = 6): Promise<string> {
  if (!Number.isInteger(digits) || digits < 6 || digits > 8) throw new RangeError("digits must be 6, 7 or 8");
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, counterBytes(counter)));
  return (truncate(mac) % 10 ** digits).toString().padStart(digits, "0");
}

/**
 * RFC 4226 §5.3 with HMAC-SHA1, synchronously, as the integer code (`digits` digits once
 * zero-padded). No await: validate checks up to 2·window+1 steps per request.
 */
export function hotpSha1(key: HmacSha1Key, counter: number, digits = 6): number {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError("counter must be a non-negative safe integer");
  if (!Number.isInteger(digits) || digits < 6 || digits > 8) throw new RangeError("digits must be 6, 7 or 8");
  return truncate(hmacSha1Counter(key, counter)) % 10 ** digits;
}

/** RFC 4226 §5.3 dynamic truncation: 31 bits from the offset the last nibble names. */
function truncate(mac: Uint8Array): number {
  const offset = mac[mac.length - 1]! & 0x0f;
  return ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
}
