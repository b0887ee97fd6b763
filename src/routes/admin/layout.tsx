import type { Child } from "hono/jsx";
import type { Session } from "../../domain/sessions";
import { CsrfField, Page } from "../../web/page";
import { ADMIN_PATHS } from "./paths";

/** A console page: the navigation and the logout button when an admin is logged in. */
export function AdminPage({ title, session, children }: { title: string; session?: Session; children?: Child }) {
  const nav = session ? (
    <>
      <nav aria-label="Console">
        <a href={ADMIN_PATHS.home}>Overview</a>
        <a href={ADMIN_PATHS.users}>Users</a>
        <a href={ADMIN_PATHS.keys}>API keys</a>
        <a href={ADMIN_PATHS.webhooks}>Webhooks</a>
        <a href={ADMIN_PATHS.audit}>Audit trail</a>
        <a href={ADMIN_PATHS.admins}>Admins</a>
        <a href={ADMIN_PATHS.settings}>Settings</a>
      </nav>
      <form method="post" action={ADMIN_PATHS.logout} class="inline">
        <CsrfField token={session.csrfToken} />
        <span class="muted">{session.subjectName} </span>
        <button type="submit" class="link-button">
          Log out
        </button>
      </form>
    </>
  ) : undefined;
  return (
    <Page title={title} site="totp-edge console" nav={nav}>
      {children}
    </Page>
  );
}
