import { utcText } from "../../web/when";
import type { UserDetails } from "../../domain/console-users";
import type { Session } from "../../domain/sessions";
import { countText } from "../../web/count-text";
import { Flash, type Notice } from "../../web/page";
import { SecretDisplay } from "../../web/secret-display";
import { VisibleName, visibleText } from "../../web/visible-name";
import { AdminPage } from "./layout";
import { ADMIN_PATHS } from "./paths";
import { USER_ACTIONS, type UserActionSlug, userConfirmPath } from "./users-actions";

/** The token's recorded drift: how far its clock was from ours at its last accepted code. */
function driftText(steps: number, period: number): string {
  if (steps === 0) return "none (in step with the server)";
  const seconds = Math.abs(steps) * period;
  return `${steps > 0 ? "+" : "−"}${Math.abs(steps)} step${Math.abs(steps) === 1 ? "" : "s"} (about ${seconds} s ${steps > 0 ? "ahead" : "behind"})`;
}

const lockedText = (untilMs: number, nowMs: number) => (untilMs > nowMs ? `until ${utcText(untilMs)}` : "not locked");

export function UserDetailPage({ session, user, nowMs, notice }: { session: Session; user: UserDetails; nowMs: number; notice?: Notice }) {
  const actions: UserActionSlug[] = ["unlock", "resync", "reset-secret", "assign-token", "revoke-recovery-codes", "set-password", "delete"];
  return (
    <AdminPage title={visibleText(user.username)} session={session}>
      <Flash kind={notice?.kind ?? "notice"} text={notice?.text} />
      <dl>
        <dt>Userid</dt>
        <dd>{String(user.id)}</dd>
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
        <dd>{`${countText(user.failedAttempts, "wrong code")}, ${countText(user.portalFailedAttempts, "wrong portal password")}`}</dd>
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
