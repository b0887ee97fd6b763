import { Hono } from "hono";
import type { AppEnv } from "../../app-env";
import { endSession } from "../../domain/sessions";
import { HttpError } from "../../errors";
import { readForm } from "../../web/forms";
import { clearSessionCookie, currentSession, requireSession } from "../../web/session";
import { accountPage, confirm } from "./account";
import { login, loginPage } from "./login";
import { PORTAL_PATHS } from "./paths";
import { recover, recoverPage, renew } from "./recovery";

/**
 * The self-service enrolment portal, mounted at /portal: a user signs in with the local password
 * set through api.php, scans their own secret and confirms it with a first code. With PORTAL=off
 * every /portal path is the plain 404 of any unknown path. Nothing here changes state on GET.
 */
export const portalPages = new Hono<AppEnv>();

portalPages.use("*", async (c, next) => {
  if (!c.var.deps.config.portal) throw HttpError.notFound();
  await next();
});

portalPages.get("/", async (c) => {
  const session = await currentSession(c, "portal");
  if (session) return accountPage(c, session);
  // An expired or replayed cookie is dropped, so the browser stops sending it.
  if (c.req.header("cookie")?.includes("totp_portal=")) clearSessionCookie(c, "portal");
  return loginPage(c);
});

portalPages.post("/login", login);
portalPages.get("/recover", (c) => recoverPage(c));
portalPages.post("/recover", recover);

// After a refused form the address bar shows the form's action: reloading or bookmarking it leads home.
for (const action of [PORTAL_PATHS.login, PORTAL_PATHS.confirm, PORTAL_PATHS.logout, PORTAL_PATHS.recoveryCodes]) {
  portalPages.get(action.slice(PORTAL_PATHS.home.length), (c) => c.redirect(PORTAL_PATHS.home, 302));
}

// A POST without a live session changes nothing and goes back to the login form.
portalPages.post("/confirm", requireSession("portal", PORTAL_PATHS.home), confirm);
portalPages.post("/recovery-codes", requireSession("portal", PORTAL_PATHS.home), renew);

portalPages.post("/logout", requireSession("portal", PORTAL_PATHS.home), async (c) => {
  const session = c.var.session!;
  await readForm(c, session);
  await endSession(c.var.deps, session);
  clearSessionCookie(c, "portal");
  return c.redirect(PORTAL_PATHS.home, 303);
});
