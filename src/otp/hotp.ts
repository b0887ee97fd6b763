import { hmacSha1Counter, type HmacSha1Key } from "./hmac-sha1";

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
