import type { Sealed } from "../crypto/secret-box";
import type { TokenParams } from "../otp/totp";
import { tokenParamsOf } from "./token-params";
import type { RoundTrips } from "./timed-d1";

/**
 * What validate reads of a user before it checks a code, as D1 holds it: the secret still sealed
 * (its AEAD context, the username key, travels with it), the token's parameters and the drift.
 * No lock, no last step: validate's write is guarded by the ciphertext and the drift and decides
 * the lock and the replay itself, in the same round trip (src/domain/verification.ts).
 */
export interface UserCopy {
  username: string;
  usernameKey: string;
  secret: Sealed;
  token: TokenParams;
  drift: number;
}

/**
 * Copies of users' rows near the Worker: the data center's Cache API. A first sight of a user in
 * an isolate then reads the copy (no trip to the D1 primary) and goes to the primary only with its
 * guarded write; a copy that is stale (the secret was reset or re-sealed, the drift moved, the user
 * deleted) fails that guard, and validate reads the primary as before. A copy can therefore make a
 * request slower, never its answer different. Where the Cache API does nothing (workers.dev
 * hostnames, the dashboard's preview), every read misses and validate reads the primary.
 */
export interface UserCopies {
  read(userId: number): Promise<UserCopy | null>;
  /** Stores a copy after the answer is sent (the request's deferred work). */
  write(userId: number, copy: UserCopy): void;
  forget(userId: number): void;
}

/** A named cache: nothing the CDN serves can match its entries, and no request can read them. */
const CACHE_NAME = "user-copies";
/**
 * How long a data center keeps a copy. A stale copy costs one more round trip, never a wrong
 * answer, so the bound is about storage, not freshness.
 */
const COPY_SECONDS = 86_400;

let opened: Promise<Cache> | undefined;

/**
 * The copies of the deployment served at `hostname` (keys are URLs of it: two deployments on two
 * hostnames never read each other's copies; the port is left out, so local servers of one D1 state
 * share them as a data center's isolates do). `defer` runs work after the answer (waitUntil);
 * `trips` counts each read as a near read, apart from D1's round trips.
 */
export function userCopies(hostname: string, trips: RoundTrips, defer: (work: Promise<unknown>) => void): UserCopies {
  if (typeof caches === "undefined") return NO_COPIES;
  const cache = () => (opened ??= caches.open(CACHE_NAME));
  const keyOf = (userId: number) => new Request(`https://${hostname}/.user-copies/${userId}`);
  return {
    async read(userId) {
      const hit = await trips.timeNear(async () => (await cache()).match(keyOf(userId)));
      return hit ? parseCopy(await hit.text()) : null;
    },
    write(userId, copy) {
      const response = new Response(JSON.stringify(copy), { headers: { "Cache-Control": `max-age=${COPY_SECONDS}` } });
      defer(cache().then((c) => c.put(keyOf(userId), response)));
    },
    forget(userId) {
      defer(cache().then((c) => c.delete(keyOf(userId))));
    },
  };
}

const NO_COPIES: UserCopies = { read: async () => null, write() {}, forget() {} };

/** A copy as written by this code; anything else (a copy from an older version) is a miss. */
function parseCopy(text: string): UserCopy | null {
  try {
    const copy = JSON.parse(text) as UserCopy;
    const { username, usernameKey, secret, drift } = copy;
    const ok = [username, usernameKey, secret.ciphertext, secret.sealKeyId].every((v) => typeof v === "string") && Number.isInteger(drift);
    return ok
      ? {
          username,
          usernameKey,
          secret: { sealKeyId: secret.sealKeyId, ciphertext: secret.ciphertext },
          token: tokenParamsOf(copy.token),
          drift,
        }
      : null;
  } catch {
    return null;
  }
}
