import { and, asc, eq, isNull, type SQL, sql } from "drizzle-orm";
import { type AuditEntry, auditFromRow } from "./audit";
import type { Db } from "./client";
import { apiKeys } from "./schema";

/** A key as the console shows it: never its hash. */
export interface KeyListing {
  id: number;
  label: string;
  /** Unix seconds. */
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

const listing = {
  id: apiKeys.id,
  label: apiKeys.label,
  createdAt: apiKeys.createdAt,
  revokedAt: apiKeys.revokedAt,
  lastUsedAt: apiKeys.lastUsedAt,
};

export const keyWithId = (id: number) => eq(apiKeys.id, id);
/** The condition `revokeKeyStatement` writes under, for the audit entry that goes with it. */
export const activeKeyWithId = (id: number) => and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt));
export const keyWithHash = (keyHash: string) => eq(apiKeys.keyHash, keyHash);

/** Active keys first, then revoked ones; each oldest first. Keys are few (an operator makes each one). */
export function listKeys(db: Db): Promise<KeyListing[]> {
  return db.select(listing).from(apiKeys).orderBy(sql`${apiKeys.revokedAt} is not null`, asc(apiKeys.id));
}

/** The key matching one of the conditions above, as a query that can go into a batch. */
export function selectKey(db: Db, where: SQL | undefined) {
  return db.select(listing).from(apiKeys).where(where).limit(1);
}

export function insertKey(db: Db, row: { label: string; keyHash: string; createdAt: number }) {
  return db.insert(apiKeys).values(row);
}

/**
 * Keys added by the scripts (the key CLI, npm run dev, test servers), returning their ids.
 * `ifAbsent` skips a key already stored (npm run dev adds its key at every start); without it a
 * stored key fails the whole statement on the UNIQUE key_hash, which the CLI reports.
 */
export function insertKeys(db: Db, rows: Array<{ label: string; keyHash: string }>, { ifAbsent = false } = {}) {
  const insert = db.insert(apiKeys).values(rows);
  return (ifAbsent ? insert.onConflictDoNothing() : insert).returning({ id: apiKeys.id });
}

/** The key list of the key CLI: ids, labels and times, oldest first (never a hash). */
export function listKeysById(db: Db) {
  return db
    .select({ id: apiKeys.id, label: apiKeys.label, created_at: apiKeys.createdAt, revoked_at: apiKeys.revokedAt })
    .from(apiKeys)
    .orderBy(asc(apiKeys.id));
}

/** The compare-and-set of a revocation: changes (and returns) the row only while the key is active. */
export function revokeKeyStatement(db: Db, id: number, revokedAt: number) {
  return db.update(apiKeys).set({ revokedAt }).where(activeKeyWithId(id)).returning({ id: apiKeys.id });
}

/** How an audit entry names a key: "key 3 (wordpress)", or "key 3" when it has no label (the CLI allows none). */
// iif, not CASE … END: the key CLI runs this through `wrangler d1 execute`, whose statement splitter takes END for a trigger's.
const keyTarget = sql<string>`'key ' || ${apiKeys.id} || iif(${apiKeys.label} = '', '', ' (' || ${apiKeys.label} || ')')`;

/**
 * An audit entry about the key row matching `where`, written only if such a row exists when the
 * statement runs; its target is read from the row. In one batch with the write it records: after
 * an insert (a new key's id is known only to the database), before a revocation and under the
 * same condition (two admins revoking one key at once leave one entry, not two).
 */
export function auditKeyStatement(db: Db, entry: Omit<AuditEntry, "target">, where: SQL | undefined) {
  return auditFromRow(db, { ...entry, client: entry.client ?? null, target: keyTarget }, apiKeys, where);
}
