import { fillPlaceholders, type Query } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import * as schema from "./schema";
import { type D1Queryable, type RoundTrips, timedD1 } from "./timed-d1";

/** Drizzle over D1; `$client` is the binding (or session) it runs on. */
export type Db = DrizzleD1Database<typeof schema> & { $client: D1Queryable };

/**
 * Drizzle over a binding or a session: its D1 driver calls only `prepare` and `batch`, which
 * both have, so a session passes for a database. Built per request (about 10 µs), since each
 * request has its own round-trip record.
 */
export function getDb(d1: D1Queryable): Db {
  return drizzle(d1 as D1Database, { schema });
}

/** The databases one request works with; every round trip is recorded in the request's `trips`. */
export interface RequestDatabases {
  /** The primary: writes, key checks, and reads that must see the latest write. */
  db: Db;
  /**
   * A D1 session (Sessions API, read replicas) for reads that tolerate lag, opened when first
   * asked for; null when the binding has no sessions (then read `db`).
   */
  replica: (constraint: D1SessionConstraint) => Db | null;
}

export function requestDatabases(binding: D1Database, trips: RoundTrips): RequestDatabases {
  // Feature-detected: a runtime (or a test double) without the Sessions API reads the primary.
  const sessions = typeof binding.withSession === "function";
  return {
    db: getDb(timedD1(binding, trips)),
    replica: (constraint) => (sessions ? getDb(timedD1(binding.withSession(constraint), trips)) : null),
  };
}

/**
 * A D1 batch whose SQL drizzle builds once per isolate, with `sql.placeholder(name)` where each
 * request's values go. Drizzle builds a query's SQL on every run: for createuser's batch that cost
 * about 0.5 ms of CPU per request under wrangler dev, a fifth of the request. Rows come back as D1
 * gives them, keyed by the selected names.
 */
export function preparedBatch(build: (db: Db) => Array<{ toSQL(): Query }>) {
  let statements: Query[] | undefined;
  return <Row = Record<string, unknown>>(db: Db, values: Record<string, unknown>): Promise<D1Result<Row>[]> => {
    statements ??= build(db).map((query) => query.toSQL());
    const d1 = db.$client;
    return d1.batch<Row>(statements.map((q) => d1.prepare(q.sql).bind(...fillPlaceholders(q.params, values))));
  };
}

/** A statement that can go into `db.batch`, for domain functions that add their writes to another's batch (an audit entry). */
export type Statement = BatchItem<"sqlite">;
