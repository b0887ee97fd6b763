// The recovery codes' own views: the set shown once, and the account page's section. Apart from
// the handlers (recovery.tsx), which use the account page, so that the account page can use these.
import type { Context } from "hono";
import type { AppEnv } from "../../app-env";
import { bytesToBase64, utf8 } from "../../crypto/encoding";
import { issueRecoveryCodes } from "../../domain/recovery-codes";
import type { Session } from "../../domain/sessions";
import { CsrfField, Flash } from "../../web/page";
import { renderPage } from "../../web/render";
import { PortalPage } from "./layout";
import { PORTAL_PATHS } from "./paths";

/** The codes, once: the answer to the POST that made them, never a page that can be loaded again. */
export function codesPage(c: Context<AppEnv>, session: Session, codes: string[]): Promise<Response> {
  const issuer = c.var.deps.config.issuer;
  const text = `${issuer} recovery codes for ${session.subjectName}\nEach works once, with your password, at "Lost your phone?".\n\n${codes.join("\n")}\n`;
  // A data: link: the file is made from this page, so the codes are not sent a second time.
  const file = `data:text/plain;charset=utf-8;base64,${bytesToBase64(utf8.encode(text))}`;
  return renderPage(
    c,
    <PortalPage title="Save your recovery codes" issuer={issuer} session={session}>
      <p class="notice" role="status">
        If you lose your phone, one of these codes and your password let you set up a new app here, without your administrator. Each code
        works once. They are shown only now: print this page or download them, and keep them somewhere safe.
      </p>
      <ol class="codes" id="recovery-codes">
        {codes.map((code) => (
          <li>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <p class="no-print">
        <a href={file} download={`${issuer}-recovery-codes.txt`}>
          Download as a text file
        </a>{" "}
        · <a href={PORTAL_PATHS.home}>I have saved them</a>
      </p>
    </PortalPage>,
  );
}

/** After the first code (POST /portal/confirm): the user's first set, or their page when codes are off. */
export async function confirmedWithCodes(c: Context<AppEnv>, session: Session): Promise<Response> {
  if (!c.var.deps.config.recoveryCodes) return c.redirect(PORTAL_PATHS.home, 303);
  const codes = await issueRecoveryCodes(c.var.deps, { id: session.subjectId, username: session.subjectName });
  return codesPage(c, session, codes);
}

/** The confirmed user's page section: how many codes are left (null: codes are off), and the form for a new set. */
export function RecoveryCodesSection({ left, session, error }: { left: number | null; session: Session; error?: string }) {
  if (left === null) return null;
  return (
    <>
      <h2>Recovery codes</h2>
      <p>
        {left === 0 ? "You have no recovery codes." : `You have ${left} recovery codes.`} With one of them and your password, "Lost your
        phone?" on the sign-in page lets you set up a new app yourself. A new set replaces the old one.
      </p>
      <Flash kind="error" text={error} />
      <form method="post" action={PORTAL_PATHS.recoveryCodes}>
        <CsrfField token={session.csrfToken} />
        <label for="renew-password">Password</label>
        <input id="renew-password" name="password" type="password" autocomplete="current-password" required />
        <label for="renew-code">A code from your authenticator app</label>
        <input
          id="renew-code"
          name="app-code"
          type="text"
          inputmode="numeric"
          autocomplete="one-time-code"
          pattern="[0-9 ]*"
          maxlength={10}
          required
        />
        <div>
          <button type="submit">Make new recovery codes</button>
        </div>
      </form>
    </>
  );
}
