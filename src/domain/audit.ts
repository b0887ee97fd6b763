import { countAudit, insertAudit, listAudit } from "../db/audit";
import type { Statement } from "../db/client";
import type { AuditRow } from "../db/schema";
import type { Deps } from "./deps";

/** Every kind of entry the audit trail has; the console shows these names. */
const AUDIT_ACTIONS = [
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
}

/** The entry as a statement, to commit in the same batch as the action: an action is never recorded without happening, or the reverse. */
export function auditStatement(deps: Deps, event: AuditEvent): Statement {
  return insertAudit(deps.db, {
    at: deps.now(),
    actor: event.actor,
    action: event.action,
    target: event.target ?? null,
    outcome: event.outcome,
  });
}

/** Refused logins under names that are no admin's, per client address and hour: one row with a count, not a row each (a flood of them). */
export function unknownLoginStatement(deps: Deps, client: string): Statement {
  const at = deps.now();
  const hour = Math.floor(at / 3_600_000);
  const target = client === "" ? "from an unknown address" : `from ${client}`;
  return countAudit(deps.db, { at, actor: "-", action: "login", target, outcome: "refused" }, `login-unknown ${client} ${hour}`);
}

/** For outcomes with no write of their own (a refused login). */
export async function recordAudit(deps: Deps, event: AuditEvent): Promise<void> {
  await auditStatement(deps, event);
}

/** A page of the trail, newest first; `beforeId` continues from the previous page's last entry. */
export function auditPage(deps: Deps, limit: number, beforeId?: number): Promise<AuditRow[]> {
  return listAudit(deps.db, limit, beforeId);
}
