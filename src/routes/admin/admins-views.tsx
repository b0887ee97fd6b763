import type { Context } from "hono";
import type { AppEnv } from "../../app-env";
import type { AdminAccount, DisableOutcome, EnrolmentLink } from "../../domain/admin-accounts";
import type { Session } from "../../domain/sessions";
import { CsrfField, Flash } from "../../web/page";
import { utcText, When } from "../../web/when";
import { AdminPage } from "./layout";
import { ADMIN_PATHS } from "./paths";

// The admins pages' views, paths and texts (the routes: ./admins.tsx).

export const ADMIN_ACCOUNT_PATHS = {
  invite: `${ADMIN_PATHS.admins}/invite`,
  confirmInvite: `${ADMIN_PATHS.admins}/confirm-invite`,
  confirm: (id: number, action: "disable" | "reset") => `${ADMIN_PATHS.admins}/${id}/confirm-${action}`,
  act: (id: number, action: "disable" | "reset") => `${ADMIN_PATHS.admins}/${id}/${action}`,
} as const;

export const ADMIN_ACCOUNT_TEXTS = {
  badName: "An admin name is 1 to 64 characters: lower-case letters, digits, and . _ @ - (not first).",
  exists: "An admin with that name exists already; reset them to give them a new link.",
  notFound: "There is no such admin.",
  linkOnce: "Send this link to the new admin over a channel you trust. It is shown only now and works once.",
  disabled: (name: string) => `Disabled admin ${name}; their sessions are ended.`,
  refused: {
    self: "You cannot disable yourself: ask another admin.",
    last: "This is the last admin who can log in: invite and enrol another one first.",
    already: "That admin is disabled already.",
  } satisfies Record<Exclude<DisableOutcome, "disabled" | "missing">, string>,
} as const;

function adminState(account: AdminAccount, now: number): string {
  if (account.disabledAt !== null) return `disabled ${utcText(account.disabledAt * 1000)}`;
  if (account.enrolled) return "active";
  if (account.enrolExpiresAt !== null && account.enrolExpiresAt > now) return `invited, link open until ${utcText(account.enrolExpiresAt)}`;
  return "invited, link expired";
}

function AdminTable({ accounts, now }: { accounts: AdminAccount[]; now: number }) {
  return (
    <table>
      <thead>
        <tr>
          <th>Name</th>
          <th>State</th>
          <th>Created (UTC)</th>
          <th>Last login (UTC)</th>
          <th>Second factor</th>
          <th>Actions</th>
        </tr>
      </thead>
      <tbody>
        {accounts.map((account) => (
          <tr>
            <td data-label="Name">{account.name}</td>
            <td data-label="State">{adminState(account, now)}</td>
            <td data-label="Created">
              <When ms={account.createdAt * 1000} />
            </td>
            <td data-label="Last login">
              {account.lastLoginAt === null ? <span class="muted">none kept</span> : <When ms={account.lastLoginAt} />}
            </td>
            <td data-label="Second factor">{account.enrolled ? "set up" : "not yet"}</td>
            <td data-label="Actions">
              <a href={ADMIN_ACCOUNT_PATHS.confirm(account.id, "reset")}>Reset…</a>{" "}
              {account.disabledAt === null && <a href={ADMIN_ACCOUNT_PATHS.confirm(account.id, "disable")}>Disable…</a>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export interface ListProps {
  session: Session;
  accounts: AdminAccount[];
  now: number;
  notice?: string;
  error?: string;
  name?: string;
}

export function AdminListPage({ session, accounts, now, notice, error, name }: ListProps) {
  return (
    <AdminPage title="Admins" session={session}>
      <Flash kind="notice" text={notice} />
      <Flash kind="error" text={error} />
      <AdminTable accounts={accounts} now={now} />
      <h2>Invite an admin</h2>
      <form method="get" action={ADMIN_ACCOUNT_PATHS.confirmInvite}>
        <label for="admin-name">Name</label>
        <input id="admin-name" name="name" type="text" autocomplete="off" required value={name ?? ""} />
        <button type="submit">Invite</button>
      </form>
    </AdminPage>
  );
}

/** The link's origin: PUBLIC_ORIGIN when set, else the console's own (as the CLI does). */
const linkOrigin = (c: Context<AppEnv>) => c.var.deps.config.publicOrigin ?? new URL(c.req.url).origin;

export function LinkPage({ c, session, title, link }: { c: Context<AppEnv>; session: Session; title: string; link: EnrolmentLink }) {
  return (
    <AdminPage title={title} session={session}>
      <p>{ADMIN_ACCOUNT_TEXTS.linkOnce}</p>
      <p class="secret" id="enrolment-link">
        {`${linkOrigin(c)}${ADMIN_PATHS.enrol(link.token)}`}
      </p>
      <p>
        It works until <When ms={link.expiresAt} />. <a href={ADMIN_PATHS.admins}>Back to admins</a>
      </p>
    </AdminPage>
  );
}

const CONFIRM = {
  reset: {
    title: (name: string) => `Reset admin ${name}?`,
    text: "Their password and second factor are cleared, their sessions end, and they are enabled again; a new enrolment link is shown once.",
  },
  disable: {
    title: (name: string) => `Disable admin ${name}?`,
    text: "Their logins are refused and their sessions end at once. A reset enables them again.",
  },
} as const;

export function ConfirmPage({ session, account, action }: { session: Session; account: AdminAccount; action: "reset" | "disable" }) {
  return (
    <AdminPage title={CONFIRM[action].title(account.name)} session={session}>
      <p>{CONFIRM[action].text}</p>
      <form method="post" action={ADMIN_ACCOUNT_PATHS.act(account.id, action)}>
        <CsrfField token={session.csrfToken} />
        <button type="submit" class="danger">
          {action === "reset" ? "Reset" : "Disable"} {account.name}
        </button>
        <a href={ADMIN_PATHS.admins}>Cancel</a>
      </form>
    </AdminPage>
  );
}

export function ConfirmInvitePage({ session, name }: { session: Session; name: string }) {
  return (
    <AdminPage title={`Invite ${name}?`} session={session}>
      <p>
        {name} gets a one-time enrolment link, shown on the next page only: with it they set a password and a second factor, and can then do
        everything you can.
      </p>
      <form method="post" action={ADMIN_ACCOUNT_PATHS.invite}>
        <CsrfField token={session.csrfToken} />
        <input type="hidden" name="name" value={name} />
        <button type="submit">Invite {name}</button>
        <a href={ADMIN_PATHS.admins}>Cancel</a>
      </form>
    </AdminPage>
  );
}
