import { hmacCounter, type OtpKey } from "./hmac";

/**
 * RFC 4226 §5.3 with the key's HMAC, synchronously, as the integer code (`digits` digits once
 * zero-padded). No await: validate checks up to 2·window+1 steps per request.
 */
export function hotp(key: OtpKey, counter: number, digits = 6): number {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError("counter must be a non-negative safe integer");
  if (!Number.isInteger(digits) || digits < 6 || digits > 8) throw new RangeError("digits must be 6, 7 or 8");
  return truncate(hmacCounter(key, counter)) % 10 ** digits;
}

/** RFC 4226 §5.3 dynamic truncation: 31 bits from the offset the last nibble names (RFC 6238 §1.2: the same for SHA-2). */
function truncate(mac: Uint8Array): number {
  const offset = mac[mac.length - 1]! & 0x0f;
  return ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
}
