import type { Config } from "../config";
import type { Db } from "../db/client";
import { pruneStatements } from "../db/retention";
import { SESSION_TIMES } from "./sessions";

/** Rows of each kind one run deletes at most: hourly runs clear 240,000 a day, and each run stays well inside a Worker's limits. */
export const PRUNE_BATCH = 10_000;

export interface Pruned {
  sessions: number;
  enrolmentLinks: number;
  auditRows: number;
  loginClients: number;
  events: number;
  deliveries: number;
  validationCounts: number;
}

/** One scheduled run of retention: expired rows removed in one D1 batch, each kind bounded by PRUNE_BATCH. */
export async function pruneExpired(db: Db, nowMs: number, config: Pick<Config, "auditRetentionDays">): Promise<Pruned> {
  const policy = { auditMs: config.auditRetentionDays * 86_400_000, sessions: SESSION_TIMES, batch: PRUNE_BATCH };
  const [sessions, links, audit, clients, events, deliveries, counts] = await db.batch(pruneStatements(db, nowMs, policy));
  return {
    sessions: sessions.meta.changes,
    enrolmentLinks: links.meta.changes,
    auditRows: audit.meta.changes,
    loginClients: clients.meta.changes,
    events: events.meta.changes,
    deliveries: deliveries.meta.changes,
    validationCounts: counts.meta.changes,
  };
}
