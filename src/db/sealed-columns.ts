import { and, asc, count, eq, getTableColumns, gt, isNotNull, lte, ne, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Sealed } from "../crypto/secret-box";
import type { Db } from "./client";
import { admins, hardwareTokens, users, webhookEndpoints } from "./schema";

/**
 * A column of secrets sealed under SECRET_ENCRYPTION_KEYS (AES-GCM, src/crypto/secret-box.ts),
 * with the id of the key that sealed each one beside it.
 */
export interface SealedColumn {
  /** What the secrets are, for the operator ("user secrets"). */
  label: string;
  table: SQLiteTable;
  /** An id that only grows (AUTOINCREMENT): rows above a pass's highest id arrived during it. */
  id: SQLiteColumn;
  ciphertext: SQLiteColumn;
  sealKeyId: SQLiteColumn;
  /** The AEAD context a secret was sealed with is `contextPrefix` + this column of its row. */
  context: SQLiteColumn;
  contextPrefix: string;
}

/**
 * Every sealed column of the schema: what `npm run rotate-keys` re-seals and `--verify` counts.
 * test/sealed-columns.test.ts keeps it equal to the schema's `*_ciphertext` / `*_key_id` pairs, so
 * a new sealed column cannot be left out of a rotation (issue 22: admins' second factors were,
 * and every enrolled admin's login failed once the old key was dropped).
 */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  {
    label: "user secrets",
    table: users,
    id: users.id,
    ciphertext: users.secretCiphertext,
    sealKeyId: users.secretKeyId,
    context: users.usernameKey,
    contextPrefix: "",
  },
  {
    label: "admin second factors",
    table: admins,
    id: admins.id,
    ciphertext: admins.totpCiphertext,
    sealKeyId: admins.totpKeyId,
    // src/domain/admins.ts, adminContext.
    context: admins.name,
    contextPrefix: "admin:",
  },
  {
    label: "hardware tokens waiting in the inventory",
    table: hardwareTokens,
    id: hardwareTokens.id,
    ciphertext: hardwareTokens.secretCiphertext,
    sealKeyId: hardwareTokens.secretKeyId,
    // src/domain/hardware-tokens.ts, inventoryContext.
    context: hardwareTokens.serial,
    contextPrefix: "token:",
  },
  {
    label: "webhook signing secrets",
    table: webhookEndpoints,
    id: webhookEndpoints.seq,
    ciphertext: webhookEndpoints.secretCiphertext,
    sealKeyId: webhookEndpoints.secretKeyId,
    // src/db/schema.ts, webhookEndpoints: sealed with "webhook:ID".
    context: webhookEndpoints.id,
    contextPrefix: "webhook:",
  },
  {
    label: "webhook signing secrets in their rotation's grace period",
    table: webhookEndpoints,
    id: webhookEndpoints.seq,
    ciphertext: webhookEndpoints.previousCiphertext,
    sealKeyId: webhookEndpoints.previousKeyId,
    context: webhookEndpoints.id,
    contextPrefix: "webhook:",
  },
];

/** One row's sealed secret, as the re-sealing reads it. */
export type SealedRow = {
  id: number;
  context: string;
  sealKeyId: string;
  ciphertext: string;
};

const notUnder = (column: SealedColumn, sealKeyId: string): SQL => and(isNotNull(column.sealKeyId), ne(column.sealKeyId, sealKeyId))!;

/** Secrets per key id (rows without a secret, such as admins not yet enrolled, left out). */
export function countPerKey(db: Db, column: SealedColumn) {
  return db
    .select({ sealKeyId: sql<string>`${column.sealKeyId}`.as("sealKeyId"), n: count().as("n") })
    .from(column.table)
    .where(isNotNull(column.sealKeyId))
    .groupBy(column.sealKeyId)
    .orderBy(asc(column.sealKeyId));
}

/** The highest id so far (0 for an empty table). */
export function highestId(db: Db, column: SealedColumn) {
  return db.select({ n: sql<number>`coalesce(max(${column.id}), 0)`.as("n") }).from(column.table);
}

/** How many secrets with an id above `aboveId` are not under `sealKeyId`. */
export function countNotUnder(db: Db, column: SealedColumn, sealKeyId: string, aboveId = 0) {
  return db
    .select({ n: count().as("n") })
    .from(column.table)
    .where(and(notUnder(column, sealKeyId), gt(column.id, aboveId)));
}

/** Up to `limit` secrets not under `sealKeyId` with aboveId < id <= toId, by id. */
export function rowsNotUnder(db: Db, column: SealedColumn, sealKeyId: string, aboveId: number, toId: number, limit: number) {
  return db
    .select({
      id: sql<number>`${column.id}`.as("id"),
      context: sql<string>`${column.context}`.as("context"),
      sealKeyId: sql<string>`${column.sealKeyId}`.as("sealKeyId"),
      ciphertext: sql<string>`${column.ciphertext}`.as("ciphertext"),
    })
    .from(column.table)
    .where(and(notUnder(column, sealKeyId), gt(column.id, aboveId), lte(column.id, toId)))
    .orderBy(asc(column.id))
    .limit(limit);
}

/** The row's secret re-sealed, only if its ciphertext is still the one read (a secret replaced meanwhile is never clobbered). */
export function resealStatement(db: Db, column: SealedColumn, row: SealedRow, sealed: Sealed) {
  const set = { [propertyOf(column, column.sealKeyId)]: sealed.sealKeyId, [propertyOf(column, column.ciphertext)]: sealed.ciphertext };
  return db
    .update(column.table)
    .set(set)
    .where(and(eq(column.id, row.id), eq(column.ciphertext, row.ciphertext)));
}

/** Drizzle's `set` takes a table's property names, not its column names. */
function propertyOf(column: SealedColumn, of: SQLiteColumn): string {
  const entry = Object.entries(getTableColumns(column.table)).find(([, c]) => c === of);
  if (!entry) throw new Error(`${of.name} is not a column of the table of ${column.label}`);
  return entry[0];
}
