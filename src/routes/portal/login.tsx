import type { Context } from "hono";
import type { AppEnv } from "../../app-env";
import { LOGIN_FLOOD_RETRY_SECONDS, loginFlooded } from "../../domain/login-limits";
import { loginPortalUser } from "../../domain/portal";
import { readForm } from "../../web/forms";
import { Flash } from "../../web/page";
import { renderPage } from "../../web/render";
import { setSessionCookie } from "../../web/session";
import { PortalPage, SignInFields } from "./layout";
import { PORTAL_TEXT } from "./messages";
import { PORTAL_PATHS } from "./paths";

/** The login form; after a refusal, with the one refusal message (or the flood answer) and the name as typed. */
export function loginPage(c: Context<AppEnv>, refused?: { username: string; flooded?: boolean }): Promise<Response> {
  const issuer = c.var.deps.config.issuer;
  return renderPage(
    c,
    <PortalPage title="Sign in" issuer={issuer}>
      <p>Sign in to set up two-factor authentication for your {issuer} account.</p>
      <Flash kind="error" text={refused && (refused.flooded ? PORTAL_TEXT.loginFlooded : PORTAL_TEXT.loginRefused)} />
      <form method="post" action={PORTAL_PATHS.login}>
        <SignInFields username={refused?.username} />
        <div>
          <button type="submit">Sign in</button>
        </div>
      </form>
      <p class="muted">Your administrator gives you the username and password for this page.</p>
      {c.var.deps.config.recoveryCodes ? (
        <p>
          <a href={PORTAL_PATHS.recover}>Lost your phone?</a>
        </p>
      ) : null}
    </PortalPage>,
    refused ? (refused.flooded ? 429 : 400) : 200,
  );
}

/** POST /portal/login: a session and the user's page, or the login form again with the one refusal message. */
export async function login(c: Context<AppEnv>): Promise<Response> {
  if (await loginFlooded(c.var.deps, "portal")) {
    // Before the form is even read: a flood costs no password hash and no D1 write.
    c.header("Retry-After", String(LOGIN_FLOOD_RETRY_SECONDS));
    return loginPage(c, { username: "", flooded: true });
  }
  const form = await readForm(c);
  const username = form.get("username");
  const outcome = await loginPortalUser(c.var.deps, { username, password: form.get("password") });
  if (!outcome.ok) {
    // Only the log tells a lock from a wrong password; the answer never does.
    c.set("outcome", outcome.refusal === "locked" ? "locked" : "invalid");
    return loginPage(c, { username });
  }
  setSessionCookie(c, "portal", outcome.sessionId);
  c.set("outcome", "done");
  return c.redirect(PORTAL_PATHS.home, 303);
}
