import { open } from "../crypto/secret-box";
import type { UserSecret } from "../db/users";
import { importHmacKey } from "../otp/hotp";
import type { Deps } from "./deps";

/** Opens a user's sealed TOTP secret. The username key is the AEAD context it was sealed under. */
export async function openUserSecret(deps: Deps, user: UserSecret): Promise<Uint8Array> {
  return open(await deps.keyring(), user.secret, user.usernameKey);
}

/**
 * The user's HMAC key, cached per isolate by (user id, ciphertext): validate then skips the
 * AES-GCM decryption and the HMAC key import. A new ciphertext (re-keyed, or a new user that got
 * a recycled id) misses the cache, so a stale entry can never verify a token.
 */
const cache = new Map<string, CryptoKey>();
const CACHE_LIMIT = 1024;

export async function userHmacKey(deps: Deps, userId: number, user: UserSecret): Promise<CryptoKey> {
  const cacheKey = `${userId}:${user.secret.keyId}:${user.secret.ciphertext}`;
  let key = cache.get(cacheKey);
  if (!key) {
    key = await importHmacKey(await openUserSecret(deps, user));
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(cacheKey, key);
  }
  return key;
}
