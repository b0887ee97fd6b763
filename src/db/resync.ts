import { desc, inArray, lte, sql } from "drizzle-orm";
import type { LockoutPolicy } from "./lockout";
import { type Acceptance, stepAcceptance } from "./attempts";
import type { Db } from "./client";
import { holds, idOnly, type UserGuard } from "./console-users";
import { countFailure } from "./lockout";
import { users } from "./schema";

/**
 * An operator's resync of two consecutive codes: validate's acceptance (stepAcceptance: the step
 * must be later than any accepted, the user not locked) of the later code's step, recording its
 * drift, for the secret the codes were checked with. Its guard goes to the audit entry too.
 */
export function resyncStatement(db: Db, id: number, ciphertext: string, accepted: Acceptance, nowMs: number) {
  const acceptance = stepAcceptance(accepted, nowMs);
  const guard: UserGuard = { id, ciphertext, condition: acceptance.condition };
  return { guard, write: db.update(users).set(acceptance.set).where(holds(guard)).returning(idOnly) };
}

/** Wrong resync codes count as one failed attempt, with validate's lockout arithmetic, only while not locked. */
export function resyncFailureStatement(db: Db, id: number, ciphertext: string, nowMs: number, policy: LockoutPolicy) {
  const failure = countFailure(users.failedAttempts, users.lockedUntil, nowMs, policy);
  const guard: UserGuard = { id, ciphertext, condition: lte(users.lockedUntil, nowMs) };
  return {
    guard,
    write: db
      .update(users)
      .set({ failedAttempts: failure.attempts, lockedUntil: failure.lockedUntil })
      .where(holds(guard))
      .returning(idOnly),
  };
}

/**
 * The resync CLI's lookup (scripts/resync.ts): the user one of `keys` names (src/domain/identity.ts,
 * usernameKeys), the first key's user before the others'; columns as wrangler prints them.
 */
export function findResyncUser(db: Db, keys: string[]) {
  return db
    .select({
      id: users.id,
      username: users.username,
      username_key: users.usernameKey,
      secret_ciphertext: users.secretCiphertext,
      secret_key_id: users.secretKeyId,
      totp_algorithm: users.totpAlgorithm,
      totp_digits: users.totpDigits,
      totp_period: users.totpPeriod,
      last_step: users.lastStep,
      locked_until: users.lockedUntil,
    })
    .from(users)
    .where(inArray(users.usernameKey, keys))
    .orderBy(desc(sql`${users.usernameKey} = ${keys[0]}`))
    .limit(1);
}
