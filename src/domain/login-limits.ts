import type { LockoutPolicy } from "../db/lockout";
import type { Statement } from "../db/client";
import type { SQL } from "drizzle-orm";
import { clientNotLocked, countClientFailure, type LoginRealm, pruneQuietClients, trustClient } from "../db/login-clients";
import type { Deps } from "./deps";

export type { LoginRealm };

/**
 * How logins (console and portal) are bounded (SECURITY.md, "Logins II"). Every login to an
 * account is counted per client address (src/http/client-address.ts, an IPv6 client by its /64)
 * with the lockout arithmetic of validate, so one address gets 5 guesses, then one per lock of
 * 30 s doubling to 15 min. A client that once logged in to the account is trusted there: only its
 * own count applies to it. The failures of all other clients also count on the account, which
 * locks them out (never trusted clients) past a ceiling ACCOUNT_CEILING_FACTOR times one client's
 * threshold: a stranger with many addresses gets at most that many guesses, then one per 15 min,
 * and still cannot lock the admin out of an address they logged in from.
 */
const ACCOUNT_CEILING_FACTOR = 20;

/** The account's own count: the same arithmetic, from a ceiling instead of a client's threshold. */
function accountPolicy(policy: LockoutPolicy): LockoutPolicy {
  return { ...policy, threshold: policy.threshold * ACCOUNT_CEILING_FACTOR };
}

/** Where a login stands before its password is checked, read with the account (src/db/login-clients.ts, clientStandingColumns). */
export interface LoginStanding {
  /** The account's own lock (its columns): applies to clients that are not trusted. */
  accountLockedUntil: number;
  /** This client's lock on this account; null: the client never failed here. */
  clientLockedUntil: number | null;
  /** When this client last logged in to this account; null: never (not trusted). */
  clientTrustedAt: number | null;
}

/** The client the request counts under; "" when the request carries none (direct calls in tests). */
export function loginClient(deps: Deps): string {
  return deps.client.address ?? "";
}

/** Whether the login is refused without checking anything. */
export function loginLocked(standing: LoginStanding, nowMs: number): boolean {
  return (standing.clientLockedUntil ?? 0) > nowMs || (standing.clientTrustedAt === null && standing.accountLockedUntil > nowMs);
}

/**
 * The statements that count a login whose password (and code) were checked and refused: on the
 * client's count always, and on the account's own count when the client is not trusted there.
 * `accountFailure` is the account table's counting statement under the policy it is given, with
 * `guard` added to its condition: it counts only while this client is not locked either, so that
 * concurrent guesses from one client count on the account no more than on the client. The
 * portal's logins of every kind (password, recovery code) count through this one function.
 */
export function loginFailureStatements(
  deps: Deps,
  realm: LoginRealm,
  subjectId: number,
  standing: LoginStanding,
  accountFailure: (policy: LockoutPolicy, guard: SQL) => Statement,
): Statement[] {
  const now = deps.now();
  const policy = deps.config.lockout;
  const client = loginClient(deps);
  const count = countClientFailure(deps.db, realm, subjectId, client, now, policy);
  // The account's statement first: in the batch it sees the client's count before this failure.
  const guard = clientNotLocked(realm, subjectId, client, now);
  return standing.clientTrustedAt === null ? [accountFailure(accountPolicy(policy), guard), count] : [count];
}

/** The statements of a successful login, for its session's batch: the client is trusted on the account from now on. */
export function loginSuccessStatements(deps: Deps, realm: LoginRealm, subjectId: number): Statement[] {
  const now = deps.now();
  return [trustClient(deps.db, realm, subjectId, loginClient(deps), now), pruneQuietClients(deps.db, now)];
}

/** A flood of login posts from one address: answered 429 for the rest of the limiter's period. */
export const LOGIN_FLOOD_RETRY_SECONDS = 60;

/**
 * Whether this login post is one too many from its address (the LOGIN_ATTEMPTS rate limit,
 * wrangler.toml): asked before any password hash or D1 write, so a flood costs neither. Requests
 * without a client address (direct calls in tests) are never limited.
 */
export async function loginFlooded(deps: Deps, realm: LoginRealm): Promise<boolean> {
  const address = deps.client.address;
  if (address === undefined || !deps.loginLimiter) return false;
  return !(await deps.loginLimiter.limit({ key: `${realm} ${address}` })).success;
}
