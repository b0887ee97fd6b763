import type { Context } from "hono";
import type { AppEnv } from "../../app-env";
import { LOGIN_FLOOD_RETRY_SECONDS, loginFlooded } from "../../domain/login-limits";
import { recoverWithCode } from "../../domain/recovery";
import { renewRecoveryCodes } from "../../domain/recovery-renewal";
import { HttpError } from "../../errors";
import { readForm } from "../../web/forms";
import { Flash } from "../../web/page";
import { renderPage } from "../../web/render";
import { setSessionCookie } from "../../web/session";
import { accountPage, refusedCode } from "./account";
import { codesPage } from "./recovery-codes";
import { PortalPage, SignInFields } from "./layout";
import { PORTAL_TEXT } from "./messages";
import { PORTAL_PATHS } from "./paths";

/** With RECOVERY_CODES=off the recovery paths are the plain 404 of any unknown path. */
function requireRecoveryCodes(c: Context<AppEnv>): void {
  if (!c.var.deps.config.recoveryCodes) throw HttpError.notFound();
}

/** The "lost your phone?" form; after a refusal, the one refusal message and the name as typed. */
export function recoverPage(c: Context<AppEnv>, refused?: { username: string; flooded?: boolean }): Promise<Response> {
  requireRecoveryCodes(c);
  const issuer = c.var.deps.config.issuer;
  return renderPage(
    c,
    <PortalPage title="Lost your phone?" issuer={issuer}>
      <p>
        Sign in with your password and one of the recovery codes you saved when you set up your app. You then set up a new app; your old
        app's codes stop working at once, and the recovery codes you saved are replaced by new ones.
      </p>
      <Flash kind="error" text={refused && (refused.flooded ? PORTAL_TEXT.loginFlooded : PORTAL_TEXT.recoveryRefused)} />
      <form method="post" action={PORTAL_PATHS.recover}>
        <SignInFields username={refused?.username} />
        <label for="recovery-code">Recovery code</label>
        <input id="recovery-code" name="code" type="text" autocomplete="off" autocapitalize="characters" spellcheck={false} required />
        <div>
          <button type="submit">Set up a new app</button>
        </div>
      </form>
      <p class="muted">
        No recovery codes? Ask your administrator to reset your key. <a href={PORTAL_PATHS.home}>Back to sign in</a>
      </p>
    </PortalPage>,
    refused ? (refused.flooded ? 429 : 400) : 200,
  );
}

/** POST /portal/recover: a session on the re-enrolled account (its page shows the new secret), or the form again. */
export async function recover(c: Context<AppEnv>): Promise<Response> {
  requireRecoveryCodes(c);
  // The sign-in's own flood limit (a recovery is a sign-in with a code for the second factor), before any hash or write.
  if (await loginFlooded(c.var.deps, "portal")) {
    c.header("Retry-After", String(LOGIN_FLOOD_RETRY_SECONDS));
    return recoverPage(c, { username: "", flooded: true });
  }
  const form = await readForm(c);
  const username = form.get("username");
  const outcome = await recoverWithCode(c.var.deps, { username, password: form.get("password"), code: form.get("code") });
  if (!outcome.ok) {
    c.set("outcome", "invalid");
    return recoverPage(c, { username });
  }
  setSessionCookie(c, "portal", outcome.sessionId);
  c.set("outcome", "done");
  return c.redirect(PORTAL_PATHS.home, 303);
}

/** POST /portal/recovery-codes: a new set shown once, or the page again with why not. */
export async function renew(c: Context<AppEnv>): Promise<Response> {
  requireRecoveryCodes(c);
  const session = c.var.session!;
  const form = await readForm(c, session);
  const outcome = await renewRecoveryCodes(c.var.deps, session.subjectId, { password: form.get("password"), code: form.get("app-code") });
  switch (outcome.kind) {
    case "renewed":
      c.set("outcome", "done");
      return codesPage(c, session, outcome.codes);
    case "stale":
      return c.redirect(PORTAL_PATHS.home, 303);
    case "wrong-password":
      c.set("outcome", "invalid");
      return accountPage(c, session, { text: PORTAL_TEXT.renewWrongPassword, status: 400 });
    case "password-locked":
      c.set("outcome", "locked");
      return accountPage(c, session, { text: PORTAL_TEXT.renewLocked(outcome.retrySeconds), status: 429 });
    default:
      return refusedCode(c, session, outcome);
  }
}
