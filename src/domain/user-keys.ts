import { open } from "../crypto/secret-box";
import type { UserSecret } from "../db/users";
import { hmacSha1Key, type HmacSha1Key } from "../otp/hmac-sha1";
import type { Deps } from "./deps";

/** Opens a user's sealed TOTP secret. The username key is the AEAD context it was sealed under. */
export async function openUserSecret(deps: Deps, user: UserSecret): Promise<Uint8Array> {
  return open(await deps.keyring(), user.secret, user.usernameKey);
}

/** A user's HMAC key as this isolate last opened it, and the ciphertext it was opened from. */
export interface UserKey {
  ciphertext: string;
  key: HmacSha1Key;
}

/**
 * The users' HMAC keys, cached per isolate by user id with the ciphertext they came from: validate
 * then skips the AES-GCM decryption, and with a hit it can check a token before reading D1 at all,
 * writing the outcome guarded by that ciphertext (src/domain/verification.ts). A ciphertext that
 * changed (re-sealed, or replaced) fails that guard, so a stale entry can never verify a token.
 * An entry is about 200 bytes, so the limit costs at most ~2 MB of the isolate's 128 MB.
 */
const cache = new Map<number, UserKey>();
const CACHE_LIMIT = 10_000;

export function cachedUserKey(userId: number): UserKey | undefined {
  return cache.get(userId);
}

export function forgetUserKey(userId: number): void {
  cache.delete(userId);
}

export async function userHmacKey(deps: Deps, userId: number, user: UserSecret): Promise<UserKey> {
  const hit = cache.get(userId);
  if (hit && hit.ciphertext === user.secret.ciphertext) return hit;
  const entry = { ciphertext: user.secret.ciphertext, key: hmacSha1Key(await openUserSecret(deps, user)) };
  cache.delete(userId);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(userId, entry);
  return entry;
}
