import { Hono } from "hono";
import type { AppEnv } from "../../app-env";
import type { AuditRow } from "../../db/schema";
import { AUDIT_ACTIONS, auditActorNames, auditCsvLines, auditPage } from "../../domain/audit";
import type { Session } from "../../domain/sessions";
import { csvResponse } from "../../formats/csv";
import { Flash } from "../../web/page";
import { renderPage } from "../../web/render";
import { VisibleName } from "../../web/visible-name";
import { When } from "../../web/when";
import { AUDIT_FILTER_TEXTS, AUDIT_OUTCOMES, type AuditQuery, auditSearch, parseAuditQuery } from "./audit-filter";
import { AdminPage } from "./layout";
import { ADMIN_PATHS } from "./paths";

/** The audit trail: every console action, login and recorded API change, newest first, filterable, read-only. */
export const auditPages = new Hono<AppEnv>();

export const AUDIT_PAGE_SIZE = 50;
export const AUDIT_EXPORT_PATH = `${ADMIN_PATHS.audit}/export.csv`;

export const auditPagePath = (beforeId: number, query: AuditQuery = {}) => `${ADMIN_PATHS.audit}${auditSearch(query, beforeId)}`;

export const AUDIT_TEXTS = {
  empty: "Nothing recorded yet.",
  noMatch: "No entry matches these filters.",
  noOlder: "No older entries.",
  badBefore: AUDIT_FILTER_TEXTS.badBefore,
} as const;

const none = <span class="muted">none</span>;

function AuditTable({ rows }: { rows: AuditRow[] }) {
  return (
    <table>
      <thead>
        <tr>
          <th>When (UTC)</th>
          <th>Who</th>
          <th>Action</th>
          <th>Target</th>
          <th>Outcome</th>
          <th>Address</th>
          <th>Reason</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr>
            <td data-label="When">
              <When ms={row.at} />
            </td>
            <td data-label="Who">{row.actor}</td>
            <td data-label="Action">{row.action}</td>
            <td data-label="Target">{row.target === null ? none : <VisibleName name={row.target} />}</td>
            <td data-label="Outcome">
              {row.outcome}
              {row.count > 1 && ` × ${row.count}`}
            </td>
            <td data-label="Address">{row.client ?? none}</td>
            <td data-label="Reason">{row.reason ?? none}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Choice({ name, label, options, value }: { name: string; label: string; options: readonly string[]; value?: string }) {
  return (
    <div>
      <label for={`audit-${name}`}>{label}</label>
      <select id={`audit-${name}`} name={name}>
        <option value="">any</option>
        {options.map((option) => (
          <option value={option} selected={option === value}>
            {option}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The filters, a plain GET form: it works without JavaScript and its result is a link to keep. */
function FilterForm({ query, actors }: { query: AuditQuery; actors: string[] }) {
  return (
    <form method="get" action={ADMIN_PATHS.audit} class="filters">
      <Choice name="actor" label="Who" options={actors} value={query.actor} />
      <Choice name="action" label="Action" options={AUDIT_ACTIONS} value={query.action} />
      <div>
        <label for="audit-target">Target contains</label>
        <input id="audit-target" name="target" type="search" value={query.target ?? ""} />
      </div>
      <Choice name="outcome" label="Outcome" options={AUDIT_OUTCOMES} value={query.outcome} />
      <div>
        <label for="audit-from">From (UTC day)</label>
        <input id="audit-from" name="from" type="date" value={query.from ?? ""} />
      </div>
      <div>
        <label for="audit-until">Until (UTC day, included)</label>
        <input id="audit-until" name="until" type="date" value={query.until ?? ""} />
      </div>
      <div>
        <button type="submit">Filter</button> <a href={ADMIN_PATHS.audit}>Clear filters</a>{" "}
        <a href={`${AUDIT_EXPORT_PATH}${auditSearch(query)}`} download>
          Download as CSV
        </a>
      </div>
    </form>
  );
}

interface TrailProps {
  session: Session;
  rows: AuditRow[];
  query: AuditQuery;
  actors: string[];
  /** The id after which the next (older) page starts, when there is one. */
  olderBefore?: number;
  /** This page continues from another: link back to the newest entries. */
  paged: boolean;
}

function AuditTrailPage({ session, rows, query, actors, olderBefore, paged }: TrailProps) {
  const filtered = Object.keys(query).length > 0;
  return (
    <AdminPage title="Audit trail" session={session}>
      <p class="muted">
        Logins, console and CLI actions, and users deleted or given a password through api.php, newest first. Keys, passwords and codes are
        never recorded.
      </p>
      <FilterForm query={query} actors={actors} />
      {rows.length === 0 ? (
        <p>{paged ? AUDIT_TEXTS.noOlder : filtered ? AUDIT_TEXTS.noMatch : AUDIT_TEXTS.empty}</p>
      ) : (
        <AuditTable rows={rows} />
      )}
      <nav aria-label="Audit trail pages">
        {paged && <a href={`${ADMIN_PATHS.audit}${auditSearch(query)}`}>Newest entries</a>}{" "}
        {olderBefore !== undefined && <a href={auditPagePath(olderBefore, query)}>Older entries</a>}
      </nav>
    </AdminPage>
  );
}

auditPages.get("/", async (c) => {
  const session = c.var.session!;
  const parsed = parseAuditQuery((name) => c.req.query(name));
  const actors = await auditActorNames(c.var.deps);
  if (!parsed.ok) {
    return renderPage(
      c,
      <AdminPage title="Audit trail" session={session}>
        <Flash kind="error" text={parsed.error} />
        <FilterForm query={parsed.query} actors={actors} />
        <p>
          <a href={ADMIN_PATHS.audit}>Newest entries</a>
        </p>
      </AdminPage>,
      400,
    );
  }
  const { query, filter, before } = parsed;
  // One more than a page: whether it exists decides the "Older entries" link.
  const rows = await auditPage(c.var.deps, AUDIT_PAGE_SIZE + 1, before, filter);
  const shown = rows.slice(0, AUDIT_PAGE_SIZE);
  const olderBefore = rows.length > AUDIT_PAGE_SIZE ? shown.at(-1)!.id : undefined;
  return renderPage(
    c,
    <AuditTrailPage session={session} rows={shown} query={query} actors={actors} olderBefore={olderBefore} paged={before !== undefined} />,
  );
});

/** The filtered trail as CSV, streamed page by page (src/formats/csv.ts neutralises formula cells). */
auditPages.get("/export.csv", async (c) => {
  const parsed = parseAuditQuery((name) => c.req.query(name));
  if (!parsed.ok) return c.text(parsed.error, 400);
  return csvResponse("audit-trail.csv", auditCsvLines(c.var.deps, parsed.filter));
});
