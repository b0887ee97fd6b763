import { AUDIT_REASONS, type AuditFilter, type AuditReason, auditActors, countAudit, insertAudit, listAudit } from "../db/audit";
import { csvLine } from "../formats/csv";
import type { Statement } from "../db/client";
import type { AuditRow } from "../db/schema";
import type { Deps } from "./deps";

/** Every kind of entry the audit trail has; the console shows these names. */
export const AUDIT_ACTIONS = [
  "login",
  "logout",
  "enrol",
  "user.unlock",
  "user.reset-secret",
  "user.resync",
  "user.set-password",
  "user.delete",
  "user.recover",
  "user.recovery-codes",
  "user.revoke-recovery-codes",
  "user.assign-token",
  "key.create",
  "key.revoke",
  "admin.create",
  "admin.disable",
  "admin.reset",
  "admin.unlock",
  // Bursts of refused API keys, one row per client address and window (src/domain/key-refusals.ts).
  "api-key.refused",
  // Webhook endpoints (docs/events.md).
  "webhook.add",
  "webhook.disable",
  "webhook.remove",
  "webhook.rotate",
  "webhook.test",
  "webhook.redeliver",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEvent {
  /** The admin's name; "cli" for the admin CLI; "-" for a login under a name that is not an admin. */
  actor: string;
  action: AuditAction;
  /** What was acted on, as a label ("user 12 alice@example.com", "key 3 (wordpress)"); never a secret. */
  target?: string;
  outcome: AuditRow["outcome"];
  /** Why, for a refusal. */
  reason?: AuditReason;
}

/** The entry as a statement, to commit in the same batch as the action: an action is never recorded without happening, or the reverse. */
export function auditStatement(deps: Deps, event: AuditEvent): Statement {
  return insertAudit(deps.db, {
    at: deps.now(),
    actor: event.actor,
    action: event.action,
    target: event.target ?? null,
    outcome: event.outcome,
    client: deps.client.address ?? null,
    reason: event.reason ?? null,
  });
}

/** Refused logins under names that are no admin's, per client address and hour: one row with a count, not a row each (a flood of them). */
export function unknownLoginStatement(deps: Deps, client: string): Statement {
  const at = deps.now();
  const hour = Math.floor(at / 3_600_000);
  const target = client === "" ? "from an unknown address" : `from ${client}`;
  const entry = {
    at,
    actor: "-",
    action: "login",
    target,
    outcome: "refused",
    client: client || null,
    reason: AUDIT_REASONS.unknownName,
  } as const;
  return countAudit(deps.db, entry, `login-unknown ${client} ${hour}`);
}

/** For outcomes with no write of their own (a refused login). */
export async function recordAudit(deps: Deps, event: AuditEvent): Promise<void> {
  await auditStatement(deps, event);
}

/** A page of the trail, newest first, narrowed by `filter`; `beforeId` continues from the previous page's last entry. */
export function auditPage(deps: Deps, limit: number, beforeId?: number, filter: AuditFilter = {}): Promise<AuditRow[]> {
  return listAudit(deps.db, limit, beforeId, filter);
}

/** The names the trail has as actors, for the console's filter. */
export function auditActorNames(deps: Deps): Promise<string[]> {
  return auditActors(deps.db);
}

/** Rows read from D1 at a time for an export: memory stays bounded however long the trail. */
const EXPORT_PAGE_SIZE = 1000;
export const AUDIT_CSV_HEADER = ["id", "at_utc", "actor", "action", "target", "outcome", "count", "client", "reason"] as const;

/** The filtered trail as CSV lines, newest first, read a page at a time as the download proceeds. */
export async function* auditCsvLines(deps: Deps, filter: AuditFilter): AsyncGenerator<string> {
  yield csvLine(AUDIT_CSV_HEADER);
  let before: number | undefined;
  for (;;) {
    const rows = await listAudit(deps.db, EXPORT_PAGE_SIZE, before, filter);
    yield rows
      .map((row) =>
        csvLine([
          row.id,
          new Date(row.at).toISOString(),
          row.actor,
          row.action,
          row.target,
          row.outcome,
          row.count,
          row.client,
          row.reason,
        ]),
      )
      .join("");
    if (rows.length < EXPORT_PAGE_SIZE) return;
    before = rows.at(-1)!.id;
  }
}
