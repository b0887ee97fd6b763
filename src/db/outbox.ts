import { and, asc, inArray, isNull, lt, type SQL, sql } from "drizzle-orm";
import type { Db } from "./client";
import { admins, apiKeys, eventOutbox, users, webhookEndpoints } from "./schema";

/** The outbox row's id, type and time, as values or as placeholders of a batch built once. */
export interface EventHead {
  id: string | SQL;
  type: string;
  at: number | SQL;
}

/** The actor as JSON text (`json(...)` keeps it an object inside json_object). */
export type ActorSql = SQL;

export const actorJson = (actor: object): ActorSql => sql`json(${JSON.stringify(actor)})`;

/** The actor of a request made with an API key, read from the key row the request's batch checks. */
export const apiKeyActor = (keyHash: string | SQL): ActorSql =>
  sql`json_object('type', 'api_key', 'id', (select ${apiKeys.id} from ${apiKeys} where ${apiKeys.keyHash} = ${keyHash}))`;

/**
 * Whether an active endpoint subscribes to `type`. An event nobody subscribes to is not written:
 * the outbox, the queue and the consumer cost nothing on a deployment without webhooks, and an
 * endpoint gets the events from its subscription on (docs/events.md).
 */
const subscribed = (type: string) =>
  sql`exists (select 1 from ${webhookEndpoints}, json_each(${webhookEndpoints.events}) where ${webhookEndpoints.disabledAt} is null and json_each.value = ${type})`;

/** An outbox row's columns, in the table's order, for an INSERT … SELECT. */
const outboxRow = (head: EventHead, data: SQL) => ({
  id: sql<string>`${head.id}`.as("id"),
  type: sql<string>`${head.type}`.as("type"),
  at: sql<number>`${head.at}`.as("at"),
  data: data.as("data"),
  dispatchedAt: sql<null>`null`.as("dispatched_at"),
});

/** The row is written when `where` holds and someone subscribes; RETURNING says whether it was (see written() in src/domain/events.ts). */
function outboxInsert(db: Db, head: EventHead, data: SQL, from: typeof users | typeof apiKeys | typeof admins, where: SQL | undefined) {
  return db
    .insert(eventOutbox)
    .select(
      db
        .select(outboxRow(head, data))
        .from(from)
        .where(and(subscribed(head.type), where)),
    )
    .returning({ id: eventOutbox.id });
}

/**
 * An event about the user row matching `where`, written only if such a row exists when the
 * statement runs: placed before the write it reports, under the write's own condition, it is
 * written exactly when the write happens (a batch is one transaction). `extra` adds fields read
 * from the row (user.locked's `locked_until`).
 */
export function userEventStatement(db: Db, head: EventHead, actor: ActorSql, where: SQL, extra: SQL = sql``) {
  const data = sql<string>`json_object('userid', ${users.id}, 'username', ${users.username}${extra}, 'actor', ${actor}, 'outcome', 'ok')`;
  return outboxInsert(db, head, data, users, where);
}

/** An event about the API key row matching `where` (see userEventStatement). */
export function keyEventStatement(db: Db, head: EventHead, actor: ActorSql, where: SQL | undefined) {
  const data = sql<string>`json_object('key_id', ${apiKeys.id}, 'label', ${apiKeys.label}, 'actor', ${actor}, 'outcome', 'ok')`;
  return outboxInsert(db, head, data, apiKeys, where);
}

/** An event about the admin row matching `where` (see userEventStatement); `change` says what happened ("invited", "reset", "disabled"). */
export function adminEventStatement(db: Db, head: EventHead, actor: ActorSql, change: string, where: SQL | undefined) {
  const data = sql<string>`json_object('admin', ${admins.name}, 'change', ${change}, 'actor', ${actor}, 'outcome', 'ok')`;
  return outboxInsert(db, head, data, admins, where);
}

/** An event with no row to guard it (a test event): written unconditionally. */
export function plainEventStatement(db: Db, head: { id: string; type: string; at: number }, data: object) {
  return db.insert(eventOutbox).values({ ...head, data: JSON.stringify(data) });
}

/**
 * An event written once under its id (the first of many triggers writes it), if someone subscribes
 * to its type; returns its id when this statement wrote it.
 */
export function onceEventStatement(db: Db, head: { id: string; type: string; at: number }, data: object) {
  return db
    .insert(eventOutbox)
    .select(
      db
        .select(outboxRow(head, sql`${JSON.stringify(data)}`))
        .from(sql`(select 1)`)
        .where(subscribed(head.type)),
    )
    .onConflictDoNothing({ target: eventOutbox.id })
    .returning({ id: eventOutbox.id });
}

export function findEvents(db: Db, ids: string[]) {
  return db.select().from(eventOutbox).where(inArray(eventOutbox.id, ids));
}

/** Marks events as taken by the consumer: the sweeper leaves them alone from then on. */
export function markDispatched(db: Db, ids: string[], nowMs: number) {
  return db
    .update(eventOutbox)
    .set({ dispatchedAt: nowMs })
    .where(and(inArray(eventOutbox.id, ids), isNull(eventOutbox.dispatchedAt)));
}

/** Events no consumer has taken that are older than `beforeMs`: a crashed isolate's, or the CLIs'. */
export function undispatchedEvents(db: Db, beforeMs: number, limit: number) {
  return db
    .select({ id: eventOutbox.id })
    .from(eventOutbox)
    .where(and(isNull(eventOutbox.dispatchedAt), lt(eventOutbox.at, beforeMs)))
    .orderBy(asc(eventOutbox.at))
    .limit(limit);
}
