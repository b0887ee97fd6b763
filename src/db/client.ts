import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import type { BatchItem } from "drizzle-orm/batch";
import * as schema from "./schema";

export type Db = DrizzleD1Database<typeof schema>;

const clients = new WeakMap<D1Database, Db>();

/** One drizzle instance per D1 binding: building it per request is wasted work. */
export function getDb(d1: D1Database): Db {
  let db = clients.get(d1);
  if (!db) {
    db = drizzle(d1, { schema });
    clients.set(d1, db);
  }
  return db;
}

/** A statement that can go into `db.batch`, for domain functions that add their writes to another's batch (an audit entry). */
export type Statement = BatchItem<"sqlite">;
