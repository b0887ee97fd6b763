import { utcText } from "../../web/when";
import type { UserDetails, UserListRow } from "../../domain/console-users";
import type { Session } from "../../domain/sessions";
import { Flash } from "../../web/page";
import { SecretDisplay } from "../../web/secret-display";
import { VisibleName, visibleText } from "../../web/visible-name";
import { AdminPage } from "./layout";
import { ADMIN_PATHS } from "./paths";
import { USER_ACTIONS, type UserActionSlug, userConfirmPath } from "./users-actions";

/** A message at the top of a page: the outcome of an action, or what was wrong with a request. */
export interface Notice {
  kind: "notice" | "error";
  text: string;
}

/** The token's recorded drift: how far its clock was from ours at its last accepted code. */
function driftText(steps: number, period: number): string {
  if (steps === 0) return "none (in step with the server)";
  const seconds = Math.abs(steps) * period;
  return `${steps > 0 ? "+" : "−"}${Math.abs(steps)} step${Math.abs(steps) === 1 ? "" : "s"} (about ${seconds} s ${steps > 0 ? "ahead" : "behind"})`;
}

const lockedText = (untilMs: number, nowMs: number) => (untilMs > nowMs ? `until ${utcText(untilMs)}` : "not locked");

function lockSummary(row: UserListRow, nowMs: number): string {
  const locks = [
    row.lockedUntil > nowMs ? `codes until ${utcText(row.lockedUntil)}` : "",
    row.portalLockedUntil > nowMs ? `portal until ${utcText(row.portalLockedUntil)}` : "",
  ].filter(Boolean);
  return locks.length ? locks.join("; ") : "no";
}

export interface ListView {
  session: Session;
  nowMs: number;
  q: string;
  lockedOnly: boolean;
  /** Whether this is a later page (a link back to the first is offered). */
  paged: boolean;
  rows: readonly UserListRow[];
  next?: string;
  notice?: Notice;
}

function listHref(q: string, lockedOnly: boolean, after?: string): string {
  const params = new URLSearchParams();
  if (q) params.set("q", q);
  if (lockedOnly) params.set("locked", "1");
  if (after !== undefined) params.set("after", after);
  const query = params.toString();
  return query ? `${ADMIN_PATHS.users}?${query}` : ADMIN_PATHS.users;
}

export function UserListPage(view: ListView) {
  const { nowMs, q, lockedOnly } = view;
  return (
    <AdminPage title="Users" session={view.session}>
      <Flash kind={view.notice?.kind ?? "notice"} text={view.notice?.text} />
      <form method="get" action={ADMIN_PATHS.users}>
        <label for="q">Username starts with</label>
        <input type="search" id="q" name="q" value={q} maxlength={255} autocomplete="off" />
        <label>
          <input type="checkbox" name="locked" value="1" checked={lockedOnly} /> Locked only
        </label>
        <button type="submit">Search</button>
      </form>
      {lockedOnly ? (
        <p class="muted">Users whose codes are locked now, the latest lock end first. A portal lock alone shows on the user's page.</p>
      ) : (
        <p class="muted">
          In username order. A search matches names that start with the text as typed or in lower case (email addresses are kept in lower
          case).
        </p>
      )}
      {view.rows.length === 0 ? (
        <p>No users match.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Username</th>
              <th>Created</th>
              <th>Confirmed</th>
              <th>Locked</th>
            </tr>
          </thead>
          <tbody>
            {view.rows.map((row) => (
              <tr>
                <td data-label="Username">
                  <a href={ADMIN_PATHS.user(row.id)}>
                    <VisibleName name={row.username} />
                  </a>
                </td>
                <td data-label="Created">{utcText(row.createdAt * 1000)}</td>
                <td data-label="Confirmed">{row.confirmedAt === null ? "not yet" : utcText(row.confirmedAt * 1000)}</td>
                <td data-label="Locked">{lockSummary(row, nowMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {view.paged || view.next !== undefined ? (
        <p>
          {view.paged ? <a href={listHref(q, lockedOnly)}>First page</a> : null}{" "}
          {view.next !== undefined ? <a href={listHref(q, lockedOnly, view.next)}>Next page</a> : null}
        </p>
      ) : null}
    </AdminPage>
  );
}

export function UserDetailPage({ session, user, nowMs, notice }: { session: Session; user: UserDetails; nowMs: number; notice?: Notice }) {
  const actions: UserActionSlug[] = ["unlock", "resync", "reset-secret", "assign-token", "revoke-recovery-codes", "set-password", "delete"];
  return (
    <AdminPage title={visibleText(user.username)} session={session}>
      <Flash kind={notice?.kind ?? "notice"} text={notice?.text} />
      <dl>
        <dt>Username</dt>
        <dd>
          <VisibleName name={user.username} />
        </dd>
        <dt>Phone</dt>
        <dd>{user.phone === null ? "none" : <VisibleName name={user.phone} />}</dd>
        <dt>Email</dt>
        <dd>{user.email === null ? "none" : <VisibleName name={user.email} />}</dd>
        <dt>Created</dt>
        <dd>{utcText(user.createdAt * 1000)}</dd>
        <dt>Confirmed</dt>
        <dd>{user.confirmedAt === null ? "not yet (no code accepted since the secret was issued)" : utcText(user.confirmedAt * 1000)}</dd>
        <dt>Last success</dt>
        <dd>{user.lastSuccessAt === null ? "never" : utcText(user.lastSuccessAt * 1000)}</dd>
        <dt>Consecutive failures</dt>
        <dd>{`${user.failedAttempts} wrong codes, ${user.portalFailedAttempts} wrong portal passwords`}</dd>
        <dt>Codes locked</dt>
        <dd>{lockedText(user.lockedUntil, nowMs)}</dd>
        <dt>Portal locked</dt>
        <dd>{lockedText(user.portalLockedUntil, nowMs)}</dd>
        <dt>Token</dt>
        <dd>
          {`${user.token.algorithm}, ${user.token.digits} digits, ${user.token.period} s steps`}
          {user.tokenSerial === null ? "" : `; hardware token ${user.tokenSerial}`}
        </dd>
        <dt>Clock drift</dt>
        <dd>{driftText(user.drift, user.token.period)}</dd>
        <dt>Local password</dt>
        <dd>{user.hasPassword ? "yes" : "no"}</dd>
        <dt>Recovery codes</dt>
        <dd>{user.recoveryCodes === 0 ? "none" : `${user.recoveryCodes} left`}</dd>
      </dl>
      <h2>Actions</h2>
      <ul>
        {actions.map((slug) => (
          <li>
            <a href={userConfirmPath(user.id, slug)}>{USER_ACTIONS[slug].link}</a>
          </li>
        ))}
      </ul>
      <p>
        <a href={ADMIN_PATHS.users}>All users</a>
      </p>
    </AdminPage>
  );
}

/** The new secret, once: the answer to the reset itself, never a page that can be loaded again. */
export function NewSecretPage({ session, id, username, secret, uri, qrSize }: NewSecretView) {
  return (
    <AdminPage title={`New secret for ${visibleText(username)}`} session={session}>
      <p class="notice" role="status">
        The secret was reset. The old one no longer works, and the user is unconfirmed until a code of this one is accepted. This key is
        shown only now: give it to the user, then leave this page.
      </p>
      <SecretDisplay
        uri={uri}
        secret={secret}
        alt={`QR code of the new secret for ${visibleText(username)}`}
        size={qrSize}
        typeHint="Or type this key into the authenticator app:"
      />
      <p>
        <a href={ADMIN_PATHS.user(id)}>Back to the user</a>
      </p>
    </AdminPage>
  );
}

export interface NewSecretView {
  session: Session;
  id: number;
  username: string;
  /** Base32. */
  secret: string;
  /** The otpauth URI of the new secret. */
  uri: string;
  qrSize: number;
}

export function UserNotFoundPage({ session }: { session: Session }) {
  return (
    <AdminPage title="User not found" session={session}>
      <p>There is no such user; it may have been deleted.</p>
      <p>
        <a href={ADMIN_PATHS.users}>All users</a>
      </p>
    </AdminPage>
  );
}
