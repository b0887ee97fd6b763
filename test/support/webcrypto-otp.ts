/**
 * RFC 4226/6238 over WebCrypto, for SHA-1, SHA-256 and SHA-512: a second, independent
 * implementation that the tests check src/otp against (and the RFC 6238 SHA-256/512 vectors run
 * through), and the benchmark's "before" baseline. Validate itself uses the synchronous
 * src/otp/hotp.ts hotpSha1.
 */
export type HashAlgorithm = "SHA-1" | "SHA-256" | "SHA-512";

export function importHmacKey(secret: Uint8Array, algorithm: HashAlgorithm = "SHA-1"): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: algorithm }, false, ["sign"]);
}

/** RFC 4226 §5.3: HMAC over the 8-byte big-endian counter, dynamic truncation, modulo 10^digits. */
export async function hotp(key: CryptoKey, counter: number, digits = 6): Promise<string> {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, Math.floor(counter / 2 ** 32));
  view.setUint32(4, counter >>> 0);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, bytes));
  const offset = mac[mac.length - 1]! & 0x0f;
  const code = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return (code % 10 ** digits).toString().padStart(digits, "0");
}

/** RFC 6238 §4.2: the code of the step that `nowMs` falls in (T0 = 0). */
export function totp(
  key: CryptoKey,
  nowMs: number,
  params: { period: number; digits: number } = { period: 30, digits: 6 },
): Promise<string> {
  return hotp(key, Math.floor(Math.floor(nowMs / 1000) / params.period), params.digits);
}
