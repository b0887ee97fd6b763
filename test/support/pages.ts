// Console and portal pages from inside workerd: a logged-in browser without the login, for tests
// of what pages do (the login itself is tested through it, and in chromium under test/node/).
import { env } from "cloudflare:workers";
import { tokenHash } from "../../src/domain/sessions";

/** The origin testApp's requests are made to (test/helpers.ts). */
export const TEST_ORIGIN = "https://totp.test";

export interface PageSession {
  /** The Cookie header for the session's realm. */
  cookie: string;
  csrf: string;
  subjectId: number;
}

let admins = 0;

/** An enrolled, enabled admin (no usable password or TOTP: only the session matters) and a live session for them. */
export async function adminSession(now = Date.now()): Promise<PageSession & { name: string }> {
  const name = `admin${Date.now().toString(36)}${++admins}`;
  const row = await env.DB.prepare("INSERT INTO admins (name) VALUES (?) RETURNING id").bind(name).first<{ id: number }>();
  return { ...(await sessionFor("admin", row!.id, now)), name };
}

/** A live portal session for an existing user. */
export function portalSession(userId: number, now = Date.now()): Promise<PageSession> {
  return sessionFor("portal", userId, now);
}

async function sessionFor(realm: "admin" | "portal", subjectId: number, now: number): Promise<PageSession> {
  const id = `${realm}-session-${crypto.randomUUID()}`;
  const csrf = crypto.randomUUID();
  await env.DB.prepare("INSERT INTO sessions (id_hash, realm, subject_id, csrf_token, created_at, seen_at) VALUES (?, ?, ?, ?, ?, ?)")
    .bind(await tokenHash(id), realm, subjectId, csrf, now, now)
    .run();
  return { cookie: `${realm === "admin" ? "totp_admin" : "totp_portal"}=${id}`, csrf, subjectId };
}

/** A same-site form POST of a page: the session's cookie, its CSRF token, and this site's Origin. */
export function formPost(session: PageSession, fields: Record<string, string>): RequestInit {
  return {
    method: "POST",
    headers: { Cookie: session.cookie, Origin: TEST_ORIGIN, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf: session.csrf, ...fields }).toString(),
  };
}

/** A GET of a page under the session. */
export function pageGet(session: PageSession): RequestInit {
  return { headers: { Cookie: session.cookie } };
}
