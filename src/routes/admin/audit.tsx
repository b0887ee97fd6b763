import { When } from "../../web/when";
import { parseRowId } from "../../http/row-id";
import { Hono } from "hono";
import type { AppEnv } from "../../app-env";
import type { AuditRow } from "../../db/schema";
import { auditPage } from "../../domain/audit";
import type { Session } from "../../domain/sessions";
import { Flash } from "../../web/page";
import { renderPage } from "../../web/render";
import { VisibleName } from "../../web/visible-name";
import { AdminPage } from "./layout";
import { ADMIN_PATHS } from "./paths";

/** The audit trail: every console action and login, newest first, read-only. */
export const auditPages = new Hono<AppEnv>();

export const AUDIT_PAGE_SIZE = 50;

export const auditPagePath = (beforeId: number) => `${ADMIN_PATHS.audit}?before=${beforeId}`;

export const AUDIT_TEXTS = {
  empty: "Nothing recorded yet.",
  noOlder: "No older entries.",
  badBefore: "That is not a position in the audit trail: “before” must be an entry number.",
} as const;

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
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => {
          return (
            <tr>
              <td data-label="When">
                <When ms={row.at} />
              </td>
              <td data-label="Who">{row.actor}</td>
              <td data-label="Action">{row.action}</td>
              <td data-label="Target">{row.target === null ? <span class="muted">none</span> : <VisibleName name={row.target} />}</td>
              <td data-label="Outcome">
                {row.outcome}
                {row.count > 1 && ` × ${row.count}`}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

interface TrailProps {
  session: Session;
  rows: AuditRow[];
  /** The id after which the next (older) page starts, when there is one. */
  olderBefore?: number;
  /** This page continues from another: link back to the newest entries. */
  paged: boolean;
}

function AuditTrailPage({ session, rows, olderBefore, paged }: TrailProps) {
  return (
    <AdminPage title="Audit trail" session={session}>
      <p class="muted">Logins and console actions, newest first. Keys, passwords and codes are never recorded.</p>
      {rows.length === 0 ? <p>{paged ? AUDIT_TEXTS.noOlder : AUDIT_TEXTS.empty}</p> : <AuditTable rows={rows} />}
      <nav aria-label="Audit trail pages">
        {paged && <a href={ADMIN_PATHS.audit}>Newest entries</a>}{" "}
        {olderBefore !== undefined && <a href={auditPagePath(olderBefore)}>Older entries</a>}
      </nav>
    </AdminPage>
  );
}

/** `before` from the query: absent (or empty) is the first page; anything but an entry number is refused. */
function beforeParam(raw: string | undefined): number | undefined | null {
  if (raw === undefined || raw === "") return undefined;
  return parseRowId(raw);
}

auditPages.get("/", async (c) => {
  const session = c.var.session!;
  const before = beforeParam(c.req.query("before"));
  if (before === null) {
    return renderPage(
      c,
      <AdminPage title="Audit trail" session={session}>
        <Flash kind="error" text={AUDIT_TEXTS.badBefore} />
        <p>
          <a href={ADMIN_PATHS.audit}>Newest entries</a>
        </p>
      </AdminPage>,
      400,
    );
  }
  // One more than a page: whether it exists decides the "Older entries" link.
  const rows = await auditPage(c.var.deps, AUDIT_PAGE_SIZE + 1, before);
  const shown = rows.slice(0, AUDIT_PAGE_SIZE);
  const olderBefore = rows.length > AUDIT_PAGE_SIZE ? shown.at(-1)!.id : undefined;
  return renderPage(c, <AuditTrailPage session={session} rows={shown} olderBefore={olderBefore} paged={before !== undefined} />);
});
