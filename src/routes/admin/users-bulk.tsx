import { Hono } from "hono";
import type { AppEnv } from "../../app-env";
import { applyBulk, type BulkAction, type BulkResult, isBulkAction, MAX_BULK_USERS, selectedUsers } from "../../domain/bulk-users";
import type { UserDetails } from "../../domain/console-users";
import type { Session } from "../../domain/sessions";
import { parseRowId } from "../../http/row-id";
import { readForm } from "../../web/forms";
import { CsrfField, Flash } from "../../web/page";
import { renderPage } from "../../web/render";
import { VisibleName } from "../../web/visible-name";
import { AdminPage } from "./layout";
import { ADMIN_PATHS } from "./paths";
import { CsvDownload } from "./csv-download";
import { USER_ACTIONS } from "./users-actions";
import { usersCsv } from "./users-export";

/** The list's selection: one confirmation, then each user's own action; and the users CSV. */
export const bulkPages = new Hono<AppEnv>();

bulkPages.get("/export.csv", (c) => usersCsv(c));

const ids = (values: string[]) => values.map(parseRowId).filter((id): id is number => id !== null);

const OUTCOME_TEXT = {
  done: "done",
  missing: "no longer exists: nothing done",
  stale: "the secret changed since you confirmed: nothing done",
} as const;

bulkPages.post("/bulk", async (c) => {
  const session = c.var.session!;
  const form = await readForm(c, session);
  const action = form.get("action");
  const selected = ids(form.getAll("id"));
  if (!isBulkAction(action) || selected.length === 0) {
    return renderPage(c, <NothingSelected session={session} />, 400);
  }
  const users = await selectedUsers(c.var.deps, selected);
  return renderPage(c, <BulkConfirmPage session={session} action={action} users={users} />);
});

/** The confirmation carries each user's id, secret version and name: 50 long names need more than a plain form's 16 KiB. */
const CONFIRM_FORM_BYTES = 64 * 1024;

bulkPages.post("/bulk/do", async (c) => {
  const session = c.var.session!;
  const form = await readForm(c, session, CONFIRM_FORM_BYTES);
  const action = form.get("action");
  if (!isBulkAction(action)) return renderPage(c, <NothingSelected session={session} />, 400);
  const confirmed = ids(form.getAll("id")).map((id) => ({ id, version: form.get(`v${id}`) }));
  const names = new Map(form.getAll("id").map((id) => [Number(id), form.get(`n${id}`)]));
  const results = await applyBulk(c.var.deps, session.subjectName, action, confirmed);
  return renderPage(c, <BulkResultPage session={session} action={action} results={results} names={names} />);
});

function NothingSelected({ session }: { session: Session }) {
  return (
    <AdminPage title="Nothing selected" session={session}>
      <Flash kind="error" text="Select users in the list with their checkboxes, then choose an action. Nothing was changed." />
      <p>
        <a href={ADMIN_PATHS.users}>All users</a>
      </p>
    </AdminPage>
  );
}

function BulkConfirmPage({ session, action, users }: { session: Session; action: BulkAction; users: UserDetails[] }) {
  const spec = USER_ACTIONS[action];
  return (
    <AdminPage title={`${spec.title}: ${users.length} ${users.length === 1 ? "user" : "users"}`} session={session}>
      <p>{spec.explain}</p>
      <p class="muted">{`For each user below, one at a time, each change recorded in the audit trail (at most ${MAX_BULK_USERS} at once).`}</p>
      <form method="post" action={ADMIN_PATHS.bulkDo}>
        <CsrfField token={session.csrfToken} />
        <input type="hidden" name="action" value={action} />
        <table>
          <thead>
            <tr>
              <th>Userid</th>
              <th>Username</th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <tr>
                <td data-label="Userid">
                  {String(user.id)}
                  <input type="hidden" name="id" value={String(user.id)} />
                  <input type="hidden" name={`v${user.id}`} value={user.version} />
                  <input type="hidden" name={`n${user.id}`} value={user.username} />
                </td>
                <td data-label="Username">
                  <VisibleName name={user.username} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div>
          <button type="submit" class={spec.danger ? "danger" : undefined}>
            {`${spec.button} (${users.length})`}
          </button>
          <a href={ADMIN_PATHS.users}>Cancel</a>
        </div>
      </form>
    </AdminPage>
  );
}

function BulkResultPage(props: { session: Session; action: BulkAction; results: BulkResult[]; names: Map<number, string> }) {
  const { results, names } = props;
  const done = results.filter((r) => r.outcome === "done").length;
  const secrets = results.filter((r) => r.secret !== undefined);
  return (
    <AdminPage title={`${USER_ACTIONS[props.action].title}: done for ${done} of ${results.length}`} session={props.session}>
      {secrets.length > 0 ? (
        <>
          <p class="notice" role="status">
            The new secrets are shown only now: give each to its user, then leave this page. Nothing keeps them.
          </p>
          <CsvDownload
            filename="new-secrets.csv"
            label="Download the new secrets (CSV)"
            rows={[["userid", "username", "otpauth uri"], ...secrets.map((r) => [String(r.id), names.get(r.id) ?? "", r.uri!])]}
          />
        </>
      ) : null}
      <table>
        <thead>
          <tr>
            <th>Userid</th>
            <th>Username</th>
            <th>Outcome</th>
            {secrets.length > 0 ? <th>New key</th> : null}
          </tr>
        </thead>
        <tbody>
          {results.map((r) => (
            <tr>
              <td data-label="Userid">{String(r.id)}</td>
              <td data-label="Username">
                <VisibleName name={names.get(r.id) ?? ""} />
              </td>
              <td data-label="Outcome">{OUTCOME_TEXT[r.outcome]}</td>
              {secrets.length > 0 ? (
                <td data-label="New key" class="secret">
                  {r.secret ?? ""}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <a href={ADMIN_PATHS.users}>All users</a>
      </p>
    </AdminPage>
  );
}
