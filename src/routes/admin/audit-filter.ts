import type { AuditFilter } from "../../db/audit";
import { AUDIT_ACTIONS } from "../../domain/audit";
import { parseRowId } from "../../http/row-id";

/** The trail's GET form: field names, as the form, the links and the CSV export use them. */
const AUDIT_FIELDS = ["actor", "action", "target", "outcome", "from", "until"] as const;
type AuditField = (typeof AUDIT_FIELDS)[number];
/** The fields as sent (the form shows them back), empty ones left out. */
export type AuditQuery = Partial<Record<AuditField, string>>;

export const AUDIT_OUTCOMES = ["ok", "refused", "failed"] as const;
const MAX_FILTER_CHARS = 200;
const DAY_MS = 86_400_000;

export const AUDIT_FILTER_TEXTS = {
  badBefore: "That is not a position in the audit trail: “before” must be an entry number.",
  badAction: "That is not an action of the audit trail.",
  badOutcome: "The outcome must be ok, refused or failed.",
  badDate: "Dates are days written YYYY-MM-DD (UTC).",
  badRange: "“From” must not be after “until”.",
  tooLong: `A filter is at most ${MAX_FILTER_CHARS} characters.`,
} as const;

/** A day "YYYY-MM-DD" as Unix ms at 00:00 UTC, or null. */
function parseDay(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().startsWith(text) ? ms : null;
}

export type ParsedAuditQuery =
  | { ok: true; query: AuditQuery; filter: AuditFilter; before?: number }
  | { ok: false; error: string; query: AuditQuery };

/** Reads the trail's query string: every bad value is refused with its own message, none ignored. */
export function parseAuditQuery(raw: (name: string) => string | undefined): ParsedAuditQuery {
  const query: AuditQuery = {};
  for (const field of AUDIT_FIELDS) {
    const value = raw(field)?.trim();
    if (value) query[field] = value;
  }
  const refuse = (error: string): ParsedAuditQuery => ({ ok: false, error, query });
  if (Object.values(query).some((value) => value.length > MAX_FILTER_CHARS)) return refuse(AUDIT_FILTER_TEXTS.tooLong);
  const beforeText = raw("before");
  const before = beforeText ? parseRowId(beforeText) : undefined;
  if (before === null) return refuse(AUDIT_FILTER_TEXTS.badBefore);
  if (query.action !== undefined && !(AUDIT_ACTIONS as readonly string[]).includes(query.action))
    return refuse(AUDIT_FILTER_TEXTS.badAction);
  const outcome = query.outcome;
  if (outcome !== undefined && !(AUDIT_OUTCOMES as readonly string[]).includes(outcome)) return refuse(AUDIT_FILTER_TEXTS.badOutcome);
  const from = query.from === undefined ? undefined : parseDay(query.from);
  const untilDay = query.until === undefined ? undefined : parseDay(query.until);
  if (from === null || untilDay === null) return refuse(AUDIT_FILTER_TEXTS.badDate);
  // "until" names the last day shown, whole.
  const until = untilDay === undefined ? undefined : untilDay + DAY_MS;
  if (from !== undefined && until !== undefined && from >= until) return refuse(AUDIT_FILTER_TEXTS.badRange);
  const filter: AuditFilter = {
    actor: query.actor,
    action: query.action,
    target: query.target,
    outcome: outcome as AuditFilter["outcome"],
    from,
    until,
  };
  return { ok: true, query, filter, before };
}

/** The query string of the same filter (and a position), for links: "" when there is nothing to carry. */
export function auditSearch(query: AuditQuery, before?: number): string {
  const params = new URLSearchParams();
  for (const field of AUDIT_FIELDS) if (query[field] !== undefined) params.set(field, query[field]);
  if (before !== undefined) params.set("before", String(before));
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}
