import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../app-env";
import { type Realm, resumeSession, SESSION_TIMES, type Session } from "../domain/sessions";

/** Each realm's cookie is sent only to its own pages. */
const COOKIES: Record<Realm, { name: string; path: string }> = {
  admin: { name: "totp_admin", path: "/admin" },
  portal: { name: "totp_portal", path: "/portal" },
};

const cookieOptions = (realm: Realm) => ({ path: COOKIES[realm].path, httpOnly: true, secure: true, sameSite: "Strict" }) as const;

export function setSessionCookie(c: Context<AppEnv>, realm: Realm, id: string): void {
  setCookie(c, COOKIES[realm].name, id, { ...cookieOptions(realm), maxAge: SESSION_TIMES.absoluteMs / 1000 });
}

export function clearSessionCookie(c: Context<AppEnv>, realm: Realm): void {
  deleteCookie(c, COOKIES[realm].name, cookieOptions(realm));
}

/** The request's live session of `realm`, or null. */
export async function currentSession(c: Context<AppEnv>, realm: Realm): Promise<Session | null> {
  return resumeSession(c.var.deps, realm, getCookie(c, COOKIES[realm].name));
}

/**
 * Pages behind a login: without a live session, a GET goes to the login page and anything else is
 * refused the same way (a 303 to the login page, nothing done). The session is `c.var.session`.
 */
export function requireSession(realm: Realm, loginPath: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const session = await currentSession(c, realm);
    if (!session) {
      clearSessionCookie(c, realm);
      return c.redirect(loginPath, 303);
    }
    c.set("session", session);
    await next();
  };
}
