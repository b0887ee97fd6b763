import { Hono } from "hono";
import type { AppEnv } from "../../app-env";
import {
  completeAdminEnrolment,
  type EnrolmentOffer,
  type EnrolmentRefusal,
  loginAdmin,
  MIN_ADMIN_PASSWORD_CHARS,
  offerEnrolment,
} from "../../domain/admins";
import { recordAudit } from "../../domain/audit";
import { LOGIN_FLOOD_RETRY_SECONDS, loginFlooded } from "../../domain/login-limits";
import { otpauthUri } from "../../domain/enrollment-qr";
import { endSession } from "../../domain/sessions";
import { readForm } from "../../web/forms";
import { Flash } from "../../web/page";
import { renderPage } from "../../web/render";
import { SecretDisplay } from "../../web/secret-display";
import { clearSessionCookie, currentSession, setSessionCookie } from "../../web/session";
import { AdminPage } from "./layout";
import { ADMIN_PATHS } from "./paths";

/** One answer for every refused login: it must not tell an unknown name from a wrong password or a lock. */
export const LOGIN_REFUSED = "Wrong name, password or code, or too many failed attempts (then wait a few minutes).";
/** The answer to a flood of login posts from one address (HTTP 429), before anything is checked. */
export const LOGIN_FLOODED = `Too many login attempts from your network: wait ${LOGIN_FLOOD_RETRY_SECONDS} seconds, then try again.`;

const ENROLMENT_REFUSALS: Record<EnrolmentRefusal, string> = {
  link: "This enrolment link is not valid: it was used already, it expired, or the admin was disabled. Ask for a new one (npm run admin -- reset NAME).",
  offer: "This page expired. Scan the new code below.",
  "password-length": `The password must be at least ${MIN_ADMIN_PASSWORD_CHARS} characters long.`,
  "password-mismatch": "The two passwords differ.",
  code: "That code does not match the secret below. Check the time on your phone and try the newest code.",
};

/** Login, logout and enrolment: the console pages reachable without a session. */
export const authPages = new Hono<AppEnv>();

function LoginForm({ error, notice }: { error?: string; notice?: string }) {
  return (
    <AdminPage title="Log in">
      <Flash kind="error" text={error} />
      <Flash kind="notice" text={notice} />
      <form method="post" action={ADMIN_PATHS.login}>
        <label for="name">Name</label>
        <input id="name" name="name" autocomplete="username" autocapitalize="none" spellcheck={false} required />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <label for="code">Code from your authenticator app</label>
        <input id="code" name="code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]*" maxlength={10} required />
        <div>
          <button type="submit">Log in</button>
        </div>
      </form>
    </AdminPage>
  );
}

const LOGIN_NOTICES: Record<string, string> = {
  enrolled: "You are enrolled. Log in with your password and a new code (the one you confirmed with is spent).",
  "logged-out": "You are logged out.",
};

authPages.get("/login", async (c) => {
  if (await currentSession(c, "admin")) return c.redirect(ADMIN_PATHS.users, 303);
  return renderPage(c, <LoginForm notice={LOGIN_NOTICES[c.req.query("done") ?? ""]} />);
});

authPages.post("/login", async (c) => {
  if (await loginFlooded(c.var.deps, "admin")) {
    c.header("Retry-After", String(LOGIN_FLOOD_RETRY_SECONDS));
    return renderPage(c, <LoginForm error={LOGIN_FLOODED} />, 429);
  }
  const form = await readForm(c);
  const sessionId = await loginAdmin(c.var.deps, { name: form.get("name"), password: form.get("password"), code: form.get("code") });
  if (!sessionId) return renderPage(c, <LoginForm error={LOGIN_REFUSED} />, 401);
  setSessionCookie(c, "admin", sessionId);
  return c.redirect(ADMIN_PATHS.users, 303);
});

authPages.post("/logout", async (c) => {
  const session = await currentSession(c, "admin");
  await readForm(c, session ?? undefined);
  if (session) {
    await endSession(c.var.deps, session);
    await recordAudit(c.var.deps, { actor: session.subjectName, action: "logout", outcome: "ok" });
  }
  clearSessionCookie(c, "admin");
  return c.redirect(`${ADMIN_PATHS.login}?done=logged-out`, 303);
});

function EnrolmentPage({ token, offer, error, uri }: { token: string; offer: EnrolmentOffer; error?: string; uri: string }) {
  return (
    <AdminPage title={`Enrol as ${offer.name}`}>
      <Flash kind="error" text={error} />
      <p>Set your console password, then scan this code with an authenticator app and enter the code it shows.</p>
      <form method="post" action={ADMIN_PATHS.enrol(token)}>
        <input type="hidden" name="offer" value={offer.offer} />
        <label for="password">New password (at least {MIN_ADMIN_PASSWORD_CHARS} characters)</label>
        <input id="password" name="password" type="password" autocomplete="new-password" minlength={MIN_ADMIN_PASSWORD_CHARS} required />
        <label for="password-again">The same password again</label>
        <input id="password-again" name="password-again" type="password" autocomplete="new-password" required />
        <h2>Your second factor</h2>
        <SecretDisplay uri={uri} secret={offer.secret} alt="QR code of your console TOTP secret" size={256} />
        <label for="code">Code from your authenticator app</label>
        <input id="code" name="code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]*" maxlength={10} required />
        <div>
          <button type="submit">Enrol</button>
        </div>
      </form>
    </AdminPage>
  );
}

function LinkRefused() {
  return (
    <AdminPage title="Enrolment link not valid">
      <p class="error">{ENROLMENT_REFUSALS.link}</p>
    </AdminPage>
  );
}

authPages.get("/enrol/:token", async (c) => {
  const token = c.req.param("token");
  const offer = await offerEnrolment(c.var.deps, token);
  if (!offer) return renderPage(c, <LinkRefused />, 404);
  return renderPage(c, <EnrolmentPage token={token} offer={offer} uri={otpauthUri(c.var.deps, `console ${offer.name}`, offer.secret)} />);
});

authPages.post("/enrol/:token", async (c) => {
  const token = c.req.param("token");
  const form = await readForm(c);
  const outcome = await completeAdminEnrolment(c.var.deps, token, {
    offer: form.get("offer"),
    password: form.get("password"),
    passwordAgain: form.get("password-again"),
    code: form.get("code"),
  });
  if (outcome.ok) return c.redirect(`${ADMIN_PATHS.login}?done=enrolled`, 303);
  const offer = outcome.retry;
  if (!offer) return renderPage(c, <LinkRefused />, 404);
  const uri = otpauthUri(c.var.deps, `console ${offer.name}`, offer.secret);
  return renderPage(c, <EnrolmentPage token={token} offer={offer} uri={uri} error={ENROLMENT_REFUSALS[outcome.refusal]} />, 400);
});
