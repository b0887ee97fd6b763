import { When } from "../../web/when";
import type { Context } from "hono";
import type { AppEnv } from "../../app-env";
import { type CodeRefusal, confirmFirstCode, type PortalAccount, portalAccount } from "../../domain/portal";
import { recoveryCodesLeft } from "../../domain/recovery-codes";
import type { Session } from "../../domain/sessions";
import { readForm } from "../../web/forms";
import { CsrfField, Flash } from "../../web/page";
import { renderPage } from "../../web/render";
import { SecretDisplay } from "../../web/secret-display";
import { clearSessionCookie } from "../../web/session";
import { PortalPage } from "./layout";
import { PORTAL_TEXT } from "./messages";
import { PORTAL_PATHS } from "./paths";
import { confirmedWithCodes, RecoveryCodesSection } from "./recovery-codes";

type Unconfirmed = Extract<PortalAccount, { state: "unconfirmed" }>;

function Enrolment({ c, session, account, error }: { c: Context<AppEnv>; session: Session; account: Unconfirmed; error?: string }) {
  const { issuer, qrSize } = c.var.deps.config;
  const locked = account.lockedSeconds === null ? undefined : PORTAL_TEXT.codeLocked(account.lockedSeconds);
  return (
    <>
      <Flash kind="error" text={error ?? locked} />
      <p>1. In your authenticator app, add an account and scan this QR code:</p>
      <SecretDisplay
        uri={account.uri}
        secret={account.secret}
        alt={`QR code of your ${issuer} secret key`}
        size={qrSize}
        typeHint={`Or type this key (time-based, ${account.digits} digits):`}
      />
      <form method="post" action={PORTAL_PATHS.confirm}>
        <CsrfField token={session.csrfToken} />
        <label for="code">2. Enter the code the app shows</label>
        <input
          id="code"
          name="code"
          type="text"
          inputmode="numeric"
          autocomplete="one-time-code"
          pattern="[0-9 ]*"
          maxlength={account.digits + 2}
          required
        />
        <div>
          <button type="submit">Confirm</button>
        </div>
      </form>
    </>
  );
}

/** The logged-in user's page: the secret while unconfirmed, only the state once confirmed. */
export async function accountPage(c: Context<AppEnv>, session: Session, error?: { text: string; status: 400 | 429 }): Promise<Response> {
  const deps = c.var.deps;
  const account = await portalAccount(deps, session.subjectId);
  if (!account) {
    // Deleted between the session check and this read.
    clearSessionCookie(c, "portal");
    return c.redirect(PORTAL_PATHS.home, 303);
  }
  const issuer = deps.config.issuer;
  if (account.state === "unreadable") {
    return renderPage(
      c,
      <PortalPage title="Set up two-factor authentication" issuer={issuer} session={session}>
        <p class="error" role="alert">
          {PORTAL_TEXT.secretUnreadable}
        </p>
      </PortalPage>,
      503,
    );
  }
  if (account.state === "confirmed") {
    return renderPage(
      c,
      <PortalPage title="Two-factor authentication is set up" issuer={issuer} session={session}>
        <p class="notice" role="status">
          Your authenticator app for {issuer} was confirmed on <When ms={account.confirmedAt * 1000} />.
        </p>
        <p>
          The key is shown only until it is confirmed. If you lost the app or moved to a new phone, ask your administrator to reset your
          key, then sign in here again to set it up{deps.config.recoveryCodes ? ", or use a recovery code" : ""}.
        </p>
        <RecoveryCodesSection left={await recoveryCodesLeft(deps, session.subjectId)} session={session} error={error?.text} />
      </PortalPage>,
      error?.status ?? 200,
    );
  }
  return renderPage(
    c,
    <PortalPage title="Set up two-factor authentication" issuer={issuer} session={session}>
      <Enrolment c={c} session={session} account={account} error={error?.text} />
    </PortalPage>,
    error?.status ?? 200,
  );
}

/** POST /portal/confirm: the first code confirms the user, or the page again with why not. */
export async function confirm(c: Context<AppEnv>): Promise<Response> {
  const session = c.var.session!;
  const form = await readForm(c, session);
  const deps = c.var.deps;
  const outcome = await confirmFirstCode(deps, session.subjectId, form.get("code"));
  switch (outcome.kind) {
    case "confirmed":
      c.set("outcome", "valid");
      return confirmedWithCodes(c, session);
    case "stale":
      return c.redirect(PORTAL_PATHS.home, 303);
    default:
      return refusedCode(c, session, outcome);
  }
}

/** A code that was not accepted (the first code, or the current one for new recovery codes): the user's page with why. */
export function refusedCode(c: Context<AppEnv>, session: Session, outcome: CodeRefusal): Promise<Response> {
  switch (outcome.kind) {
    case "malformed":
      c.set("outcome", "bad_input");
      return accountPage(c, session, { text: PORTAL_TEXT.codeMalformed(outcome.digits), status: 400 });
    case "wrong":
      c.set("outcome", "invalid");
      return accountPage(c, session, { text: PORTAL_TEXT.codeWrong, status: 400 });
    case "used":
      c.set("outcome", "replay");
      return accountPage(c, session, { text: PORTAL_TEXT.codeUsed, status: 400 });
    case "locked":
      c.set("outcome", "locked");
      return accountPage(c, session, { text: PORTAL_TEXT.codeLocked(outcome.retrySeconds), status: 429 });
  }
}
