import type { Child } from "hono/jsx";
import type { Session } from "../../domain/sessions";
import { CsrfField, Page } from "../../web/page";
import { PORTAL_PATHS } from "./paths";

/** A portal page under the configured issuer's name: the user's name and the logout button when logged in. */
export function PortalPage({ title, issuer, session, children }: { title: string; issuer: string; session?: Session; children?: Child }) {
  const nav = session ? (
    <form method="post" action={PORTAL_PATHS.logout} class="inline">
      <CsrfField token={session.csrfToken} />
      <span class="muted">{session.subjectName} </span>
      <button type="submit" class="link-button">
        Log out
      </button>
    </form>
  ) : undefined;
  return (
    <Page title={title} site={issuer} nav={nav}>
      {children}
    </Page>
  );
}

/** The name and password of a portal sign-in (the login and "lost your phone?"); the name as typed after a refusal. */
export function SignInFields({ username }: { username?: string }) {
  return (
    <>
      <label for="username">Username</label>
      <input
        id="username"
        name="username"
        type="text"
        autocomplete="username"
        autocapitalize="none"
        spellcheck={false}
        required
        value={username ?? ""}
      />
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required />
    </>
  );
}
