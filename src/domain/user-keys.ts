import { open } from "../crypto/secret-box";
import type { UserSecret } from "../db/users";
import { type OtpKey, otpKey } from "../otp/hmac";
import type { UserCopy } from "../db/user-copies";
import type { Deps } from "./deps";

/** Opens a user's sealed TOTP secret. The username key is the AEAD context it was sealed under. */
export async function openUserSecret(deps: Deps, user: UserSecret): Promise<Uint8Array> {
  return open(await deps.keyring(), user.secret, user.usernameKey);
}

/**
 * A user's HMAC key as this isolate last opened it, and the row it was opened from: the sealed
 * secret, the token's parameters (they change only with the secret) and the drift (src/db/schema.ts,
 * totp_drift) as this isolate last read or wrote it. Every write of validate is guarded by the
 * ciphertext and the drift, so a value another isolate has changed costs a read, never a wrong answer.
 */
export interface UserKey {
  row: UserCopy;
  key: OtpKey;
}

/**
 * The users' HMAC keys, cached per isolate by user id with the row they came from: validate then
 * skips the AES-GCM decryption, and with a hit it can check a token before reading D1 at all,
 * writing the outcome guarded by that ciphertext (src/domain/verification.ts). A ciphertext that
 * changed (re-sealed, or replaced) fails that guard, so a stale entry can never verify a token.
 * Bounded in entries and so in bytes: an entry is at most about 1 KB (a SHA-512 key's two hash
 * states, a ciphertext of at most 1,024 bits of secret in base64url, a username of at most 256
 * characters), so the isolate's 128 MB lose at most ~10 MB to it; about 0.5 KB for createuser's users.
 */
const cache = new Map<number, UserKey>();
const USER_KEY_CACHE_ENTRIES = 10_000;

export function cachedUserKey(userId: number): UserKey | undefined {
  return cache.get(userId);
}

export function forgetUserKey(userId: number): void {
  cache.delete(userId);
}

/** The user's key for `row`: the cached one if the ciphertext is the same (its drift taken from the row), else opened anew. */
export async function userHmacKey(deps: Deps, userId: number, row: UserCopy): Promise<UserKey> {
  const hit = cache.get(userId);
  if (hit && hit.row.secret.ciphertext === row.secret.ciphertext) {
    hit.row.drift = row.drift;
    return hit;
  }
  return remember(userId, { row, key: otpKey(await openUserSecret(deps, row), row.token.algorithm) });
}

function remember(userId: number, entry: UserKey): UserKey {
  cache.delete(userId);
  if (cache.size >= USER_KEY_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(userId, entry);
  return entry;
}
