import { open } from "../crypto/secret-box";
import type { UserSecret } from "../db/users";
import { type OtpKey, otpKey } from "../otp/hmac";
import type { TokenParams } from "../otp/totp";
import type { Deps } from "./deps";

/** Opens a user's sealed TOTP secret. The username key is the AEAD context it was sealed under. */
export async function openUserSecret(deps: Deps, user: UserSecret): Promise<Uint8Array> {
  return open(await deps.keyring(), user.secret, user.usernameKey);
}

/**
 * A user's HMAC key as this isolate last opened it, the ciphertext it was opened from, and what
 * travels with it: the token's parameters (they change only with the secret) and the drift.
 */
export interface UserKey {
  ciphertext: string;
  key: OtpKey;
  token: TokenParams;
  /**
   * The drift (src/db/schema.ts, totp_drift) as this isolate last read or wrote it. Every write
   * of validate is guarded by it, so a value another isolate has changed costs a read, never a
   * wrong answer.
   */
  drift: number;
}

/**
 * The users' HMAC keys, cached per isolate by user id with the ciphertext they came from: validate
 * then skips the AES-GCM decryption, and with a hit it can check a token before reading D1 at all,
 * writing the outcome guarded by that ciphertext (src/domain/verification.ts). A ciphertext that
 * changed (re-sealed, or replaced) fails that guard, so a stale entry can never verify a token.
 * An entry is about 300 bytes (a SHA-512 key's states the most), so the limit costs at most ~3 MB
 * of the isolate's 128 MB.
 */
const cache = new Map<number, UserKey>();
const CACHE_LIMIT = 10_000;

export function cachedUserKey(userId: number): UserKey | undefined {
  return cache.get(userId);
}

export function forgetUserKey(userId: number): void {
  cache.delete(userId);
}

/** The user's key from a fresh read: the cached one if the ciphertext is the same (its drift refreshed from the read), else opened anew. */
export async function userHmacKey(deps: Deps, userId: number, user: UserSecret & { token: TokenParams; drift: number }): Promise<UserKey> {
  const hit = cache.get(userId);
  if (hit && hit.ciphertext === user.secret.ciphertext) {
    hit.drift = user.drift;
    return hit;
  }
  const secret = await openUserSecret(deps, user);
  const entry = { ciphertext: user.secret.ciphertext, key: otpKey(secret, user.token.algorithm), token: user.token, drift: user.drift };
  cache.delete(userId);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(userId, entry);
  return entry;
}
