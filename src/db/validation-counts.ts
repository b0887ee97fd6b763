import { and, asc, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { Db } from "./client";
import { users, validationCounts } from "./schema";

export const HOUR_MS = 3_600_000;
export type ValidationOutcome = (typeof validationCounts.outcome.enumValues)[number];
export const VALIDATION_OUTCOMES: readonly ValidationOutcome[] = validationCounts.outcome.enumValues;

/**
 * The outcome a write of validate will have, judged on the user's row before the write:
 * `written` is the write's own condition (key, secret, drift and its condition), `same` the
 * write's guard without its condition. A write that did not happen because the secret or drift
 * changed is checked again by the caller (src/domain/verification.ts): it counts nothing here.
 */
export interface CountedOutcomes {
  written: SQL;
  same: SQL;
  /** What a written row counts as ("valid" for an acceptance, "invalid" for a failure). */
  ifWritten: ValidationOutcome;
  nowMs: SQL | number;
  /** An acceptance refused on a step at or before the last accepted one: a replay. */
  replayWhen?: SQL;
}

/**
 * One more validation of this hour and outcome, as a statement of validate's own batch (no round
 * trip of its own). It must come before the write it counts: the CASE reads the row as the write
 * will find it. An UPSERT is one statement in D1's single-writer transaction, so concurrent
 * validations each add their own one: the counts are exact for the answers written this way.
 */
export function countValidation(db: Db, userId: SQL | number, counted: CountedOutcomes) {
  const locked = sql`${users.lockedUntil} > ${counted.nowMs}`;
  const replay = counted.replayWhen ? sql` when ${counted.same} and ${counted.replayWhen} then 'replay'` : sql``;
  const outcome = sql`case when ${counted.written} then ${counted.ifWritten} when ${counted.same} and ${locked} then 'locked'${replay} end`;
  // D1 binds a JS number as REAL: the cast and the literal make the division whole hours.
  const hour = sql`cast(${counted.nowMs} as integer) / ${sql.raw(String(HOUR_MS))}`;
  return db
    .insert(validationCounts)
    .select(
      db
        .select({ hour: sql`${hour}`.as("hour"), outcome: sql`${outcome}`.as("outcome"), count: sql`1`.as("count") })
        .from(users)
        .where(and(sql`${users.id} = ${userId}`, sql`${outcome} is not null`)),
    )
    .onConflictDoUpdate({ target: [validationCounts.hour, validationCounts.outcome], set: { count: sql`${validationCounts.count} + 1` } });
}

export interface HourCount {
  hour: number;
  outcome: ValidationOutcome;
  count: number;
}

/** The counts of hours from `fromHour` (inclusive) on, by the primary key's range. */
export function countsSince(db: Db, fromHour: number) {
  return db
    .select({ hour: validationCounts.hour, outcome: validationCounts.outcome, count: validationCounts.count })
    .from(validationCounts)
    .where(gte(validationCounts.hour, fromHour))
    .orderBy(asc(validationCounts.hour));
}

/** Counts of hours before `beforeHour`, at most `batch` rows (retention: src/db/retention.ts). */
export function pruneCountsStatement(db: Db, beforeHour: number, batch: number) {
  const rowid = sql<number>`rowid`;
  const oldest = db.select({ rowid }).from(validationCounts).where(lt(validationCounts.hour, beforeHour)).orderBy(rowid).limit(batch);
  return db.delete(validationCounts).where(inArray(rowid, oldest));
}
