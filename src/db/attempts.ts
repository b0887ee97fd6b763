import { and, eq, isNull, lt, lte, sql, type SQL } from "drizzle-orm";
import type { SQLiteUpdateSetSource } from "drizzle-orm/sqlite-core";
import type { LockoutPolicy } from "./lockout";
import type { TokenParams } from "../otp/totp";
import { type Db, preparedBatch } from "./client";
import { countFailure, maxDoublings } from "./lockout";
import { activeKeyExists, selectActiveKey, touchKey } from "./api-keys";
import { apiKeyActor, userEventStatement } from "./outbox";
import { users } from "./schema";
import { tokenColumns, tokenParamsOf } from "./token-params";

import { countValidation, type ValidationOutcome } from "./validation-counts";
import type { UserSecret } from "./users";

/** What validate needs to know before it checks a token, read in one round trip with the key check. */
export interface AttemptState {
  /** The active key's id, or null when the key is not valid. */
  apiKeyId: number | null;
  /** The user, when the key is valid and the user exists. */
  user: (UserSecret & { token: TokenParams; drift: number; lastStep: number; lockedUntil: number }) | null;
}

export async function readAttemptState(db: Db, keyHash: string, userId: number): Promise<AttemptState> {
  const [keyRows, userRows] = await db.batch([
    selectActiveKey(db, keyHash),
    db
      .select({
        username: users.username,
        usernameKey: users.usernameKey,
        ciphertext: users.secretCiphertext,
        sealKeyId: users.secretKeyId,
        lastStep: users.lastStep,
        lockedUntil: users.lockedUntil,
        ...tokenColumns,
      })
      .from(users)
      .where(eq(users.id, userId))
      .limit(1),
    touchKey(db, keyHash),
  ]);
  const apiKeyId = keyRows[0]?.id ?? null;
  const row = apiKeyId === null ? undefined : userRows[0];
  return {
    apiKeyId,
    user: row
      ? {
          username: row.username,
          usernameKey: row.usernameKey,
          secret: { sealKeyId: row.sealKeyId, ciphertext: row.ciphertext },
          token: tokenParamsOf(row),
          drift: row.drift,
          lastStep: row.lastStep,
          lockedUntil: row.lockedUntil,
        }
      : null,
  };
}

/**
 * How a conditional write of validate ended, read in the same round trip: `written` false means
 * the key is not valid (`apiKeyId` null), the user is gone (`state` null), the user is locked, the
 * secret or the drift changed since the caller's copy (`state.ciphertext`, `state.drift`), or
 * (acceptance) the step was taken.
 */
export interface AttemptWrite {
  apiKeyId: number | null;
  written: boolean;
  /** What the event's outbox statement returned: a row when the write locked (failure) or confirmed (success) the user and someone subscribes. */
  eventRows: readonly unknown[] | undefined;
  state: { lockedUntil: number; lastStep: number; ciphertext: string; drift: number; confirmedAt: number | null } | null;
}

/**
 * What every write of validate is guarded by: the caller's key, and the secret and drift it
 * checked the token with (the window is centred on the drift, so a code checked around another
 * drift than the stored one is checked again rather than counted).
 */
export interface WriteGuard {
  keyHash: string;
  ciphertext: string;
  drift: number;
}

/** A step to accept, and the drift it shows: the step minus the server's step when it was checked. */
export interface Acceptance {
  step: number;
  drift: number;
}

/**
 * Counts one failed attempt, only while the user is not locked; the attempt that reaches the
 * threshold sets the lock: base, doubling per further failure, at most max. Concurrent wrong
 * guesses are counted one by one, so at most `threshold` of them get an answer other than the lock.
 */
export async function recordFailure(
  db: Db,
  userId: number,
  guard: WriteGuard,
  nowMs: number,
  policy: LockoutPolicy,
  eventId: string,
): Promise<AttemptWrite> {
  const results = await failureBatch<PreparedRow>(db, {
    ...guard,
    userId,
    nowMs,
    eventId,
    threshold: policy.threshold,
    baseMs: policy.baseMs,
    maxMs: policy.maxMs,
    doublings: maxDoublings(policy),
  });
  return preparedWrite(results);
}

type PreparedRow = Record<string, number | string | null>;

/** A guarded write's outcome from a prepared batch's results (column names, as D1 gives them). */
function preparedWrite([keyRows, event, , updated, state]: D1Result<PreparedRow>[]): AttemptWrite {
  const row = state?.results[0];
  return {
    apiKeyId: (keyRows?.results[0]?.id as number | undefined) ?? null,
    written: (updated?.results.length ?? 0) > 0,
    eventRows: event?.results,
    state: row
      ? {
          lockedUntil: row.locked_until as number,
          lastStep: row.last_step as number,
          ciphertext: row.secret_ciphertext as string,
          drift: row.totp_drift as number,
          confirmedAt: row.confirmed_at as number | null,
        }
      : null,
  };
}

/**
 * The failure count's batch (guardedStatements with validate's lockout), its SQL built once per
 * isolate: a wrong code is validate's commonest answer under attack, and drizzle would otherwise
 * build four statements' SQL on every request. Rows come back as D1 gives them (column names).
 */
const failureBatch = preparedBatch((db) => {
  const value = (name: string) => sql.placeholder(name);
  const nowMs = value("nowMs");
  const policy = { threshold: value("threshold"), baseMs: value("baseMs"), maxMs: value("maxMs") };
  const failure = countFailure(users.failedAttempts, users.lockedUntil, nowMs, policy, value("doublings"));
  const guard = { keyHash: value("keyHash"), ciphertext: value("ciphertext"), drift: value("drift") } as unknown as WriteGuard;
  // user.locked: the failure that reaches the threshold (or, after a lock ran out, any further one) sets a lock.
  const locked = {
    id: sql`${value("eventId")}`,
    type: "user.locked",
    at: sql`${nowMs}`,
    when: sql`${failure.attempts} >= ${policy.threshold}`,
    extra: sql`, 'locked_until', strftime('%Y-%m-%dT%H:%M:%fZ', (${failure.lockedUntil}) / 1000.0, 'unixepoch')`,
  } as const;
  const set = { failedAttempts: failure.attempts, lockedUntil: failure.lockedUntil };
  const counted = { nowMs: sql`${nowMs}`, outcome: "invalid" } as const;
  return [...guardedStatements(db, value("userId") as unknown as number, guard, lte(users.lockedUntil, nowMs), set, locked, counted)];
});

/**
 * What accepting a step means, for validate, the portal's first code and an operator's resync
 * alike: allowed only if that step or a later one was not accepted yet and the user is not locked
 * (a compare-and-set, so of concurrent requests with the same token exactly one wins); it records
 * the drift the step shows (RFC 6238 §6), clears the failure count and any lock, and confirms the
 * user if this is their first success.
 */
export function stepAcceptance({ step, drift }: Acceptance, nowMs: number): { condition: SQL; set: SQLiteUpdateSetSource<typeof users> } {
  return acceptanceOf(sql`${step}`, sql`${drift}`, sql`${nowMs}`, sql`${Math.floor(nowMs / 1000)}`);
}

/** stepAcceptance with values or a prepared batch's placeholders. */
function acceptanceOf(step: SQL, drift: SQL, nowMs: SQL, nowSeconds: SQL) {
  return {
    condition: and(lt(users.lastStep, step), lte(users.lockedUntil, nowMs))!,
    set: {
      lastStep: step,
      totpDrift: drift,
      failedAttempts: 0,
      lockedUntil: 0,
      confirmedAt: sql`coalesce(${users.confirmedAt}, ${nowSeconds})`,
      lastSuccessAt: nowSeconds,
    },
  };
}

/**
 * validate's acceptance batch, its SQL built once per isolate like failureBatch: a right code is
 * the API's commonest success, and drizzle would build six statements' SQL on every request.
 */
const acceptanceBatch = preparedBatch((db) => {
  const value = (name: string) => sql`${sql.placeholder(name)}`;
  const nowMs = value("nowMs");
  const guard = { keyHash: value("keyHash"), ciphertext: value("ciphertext"), drift: value("drift") } as unknown as WriteGuard;
  const acceptance = acceptanceOf(value("step"), value("newDrift"), nowMs, value("nowSeconds"));
  const confirmed = { id: value("eventId"), type: "user.confirmed", at: nowMs, when: isNull(users.confirmedAt) } as const;
  const counted = { nowMs, outcome: "valid", replay: true } as const;
  return [...guardedStatements(db, value("userId") as unknown as number, guard, acceptance.condition, acceptance.set, confirmed, counted)];
});

/** Accepts a step for validate (see stepAcceptance), under the caller's key; `eventId` is user.confirmed's, if this is the first success. */
export async function acceptStep(
  db: Db,
  userId: number,
  guard: WriteGuard,
  accepted: Acceptance,
  nowMs: number,
  eventId: string,
): Promise<AttemptWrite> {
  const values = { ...guard, userId, nowMs, nowSeconds: Math.floor(nowMs / 1000), step: accepted.step, newDrift: accepted.drift, eventId };
  return preparedWrite(await acceptanceBatch<PreparedRow>(db, values));
}

/**
 * The event a guarded write reports, if it happens: validate's first success confirms the user,
 * the failure that reaches the threshold locks them. Its INSERT … SELECT comes before the update,
 * under the update's own condition and `when` (evaluated on the row before the update), so it is
 * written exactly when the update makes that change (docs/events.md).
 */
interface WriteEvent {
  id: string | SQL;
  type: "user.confirmed" | "user.locked";
  at: number | SQL;
  when: SQL;
  extra?: SQL;
}

/** The validation count a guarded write adds to (the overview's chart): the outcome when written, and whether a refusal that is no lock is a replay. */
interface Counted {
  nowMs: SQL | number;
  outcome: ValidationOutcome;
  replay?: boolean;
}

/**
 * One round trip, built once per isolate (failureBatch, acceptanceBatch): the key check, the event,
 * the count, the update (only under a valid key, for the secret and drift the code was checked
 * with, and when `condition` holds), and the state after it, so that a write that did not happen
 * can say why.
 */
function guardedStatements(
  db: Db,
  userId: number,
  guard: WriteGuard,
  condition: SQL,
  set: SQLiteUpdateSetSource<typeof users>,
  event: WriteEvent,
  counted: Counted,
) {
  const same = and(
    eq(users.id, userId),
    eq(users.secretCiphertext, guard.ciphertext),
    eq(users.totpDrift, guard.drift),
    activeKeyExists(guard.keyHash),
  )!;
  const where = and(same, condition)!;
  const outcomes = {
    written: where,
    same,
    ifWritten: counted.outcome,
    nowMs: counted.nowMs,
    replayWhen: counted.replay ? sql`1` : undefined,
  };
  return [
    selectActiveKey(db, guard.keyHash),
    userEventStatement(db, event, apiKeyActor(guard.keyHash), and(where, event.when)!, event.extra),
    countValidation(db, userId, outcomes),
    db.update(users).set(set).where(where).returning({ id: users.id }),
    db
      .select({
        lockedUntil: users.lockedUntil,
        lastStep: users.lastStep,
        ciphertext: users.secretCiphertext,
        drift: users.totpDrift,
        confirmedAt: users.confirmedAt,
      })
      .from(users)
      .where(eq(users.id, userId))
      .limit(1),
    touchKey(db, guard.keyHash),
  ] as const;
}
