import { open } from "../crypto/secret-box";
import type { UserSecret } from "../db/users";
import { hmacSha1Key, type HmacSha1Key } from "../otp/hmac-sha1";
import type { Deps } from "./deps";

/** Opens a user's sealed TOTP secret. The username key is the AEAD context it was sealed under. */
export async function openUserSecret(deps: Deps, user: UserSecret): Promise<Uint8Array> {
  return open(await deps.keyring(), user.secret, user.usernameKey);
}

interface CachedKey {
  keyId: string;
  ciphertext: string;
  key: HmacSha1Key;
}

/**
 * The user's HMAC key, cached per isolate by user id and checked against the stored ciphertext:
 * validate then skips the AES-GCM decryption. A new ciphertext (re-keyed, or a new user that got
 * a recycled id) misses the cache, so a stale entry can never verify a token. An entry is about
 * 200 bytes, so the limit costs at most ~2 MB of the isolate's 128 MB.
 */
const cache = new Map<number, CachedKey>();
const CACHE_LIMIT = 10_000;

export async function userHmacKey(deps: Deps, userId: number, user: UserSecret): Promise<HmacSha1Key> {
  const hit = cache.get(userId);
  if (hit && hit.ciphertext === user.secret.ciphertext && hit.keyId === user.secret.keyId) return hit.key;
  const key = hmacSha1Key(await openUserSecret(deps, user));
  cache.delete(userId);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(userId, { keyId: user.secret.keyId, ciphertext: user.secret.ciphertext, key });
  return key;
}
