import { type OtpKey, otpKey } from "./hmac";

/** An HMAC-SHA1 key: what the console's own admin logins use (their secrets are always issued by us, as SHA-1). */
export type HmacSha1Key = OtpKey;

export function hmacSha1Key(secret: Uint8Array): HmacSha1Key {
  return otpKey(secret, "SHA1");
}
