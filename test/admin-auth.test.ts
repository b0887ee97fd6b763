// The console's own two-factor login: enrolment links, login, lockout, sessions, logout.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { tokenHash } from "../src/domain/sessions";
import { LOGIN_REFUSED } from "../src/routes/admin/auth";
import { TestClock, testApp, tokenFor } from "./helpers";
import { adminRow, enrol, enrolledAdmin, hidden, invitedAdmin, login, PASSWORD, post, shownSecret } from "./support/admins";

const auditOf = (name: string) =>
  env.DB.prepare("SELECT actor, action, outcome FROM audit_log WHERE actor = ? ORDER BY id")
    .bind(name)
    .all()
    .then((r) => r.results);
/** This admin's count for the calls of testApp, which carry no client address. */
const clientRow = async (name: string) =>
  env.DB.prepare("SELECT * FROM login_clients WHERE realm = 'admin' AND client = '' AND subject_id = ?")
    .bind((await adminRow(name))!.id)
    .first<Record<string, number | null>>();

/** Logs in with the next step's code and returns the session cookie ("totp_admin=…"). */
async function sessionCookie(admin: Awaited<ReturnType<typeof enrolledAdmin>>): Promise<string> {
  admin.clock.advance(30);
  const res = await login(admin.call, admin.name, PASSWORD, tokenFor(admin.secret, admin.clock.ms));
  return res.headers.get("set-cookie")!.split(";")[0]!;
}

describe("admin enrolment", () => {
  it("a GET of the link shows a new secret and stores nothing; a right code enrols and spends the link", async () => {
    const clock = new TestClock();
    const call = testApp({ now: clock.now });
    const { name, token } = await invitedAdmin(clock);
    const before = await adminRow(name);
    const page = await call(`/admin/enrol/${token}`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await adminRow(name)).toEqual(before);

    const secret = await enrol(call, clock, token);
    const row = await adminRow(name);
    expect(row!.password_hash).toMatch(/^pbkdf2-sha256\$/);
    expect(row!.enrol_token_hash).toBeNull();
    expect(JSON.stringify(row)).not.toContain(secret);
    expect((await call(`/admin/enrol/${token}`)).status).toBe(404);
    expect(await auditOf(name)).toEqual([{ actor: name, action: "enrol", outcome: "ok" }]);
  });

  it("a wrong code, a short or mismatched password keep the same secret on the page and change nothing", async () => {
    const clock = new TestClock();
    const call = testApp({ now: clock.now });
    const { name, token } = await invitedAdmin(clock);
    const page = await (await call(`/admin/enrol/${token}`)).text();
    const secret = shownSecret(page);
    const offer = hidden(page, "offer");
    const good = { offer, password: PASSWORD, "password-again": PASSWORD, code: tokenFor(secret, clock.ms) };
    const wrongCode = String((Number(good.code) + 1) % 1_000_000).padStart(6, "0");
    for (const [fields, text] of [
      [{ ...good, code: wrongCode }, "does not match"],
      [{ ...good, password: "short", "password-again": "short" }, "at least 12"],
      [{ ...good, "password-again": `${PASSWORD}!` }, "differ"],
    ] as const) {
      const res = await call(...post(`/admin/enrol/${token}`, fields));
      const html = await res.text();
      expect([res.status, html.includes(text), shownSecret(html)]).toEqual([400, true, secret]);
    }
    expect((await adminRow(name))!.password_hash).toBeNull();
    // An offer from another link does not open here.
    const other = await invitedAdmin(clock);
    const otherOffer = hidden(await (await call(`/admin/enrol/${other.token}`)).text(), "offer");
    const res = await call(...post(`/admin/enrol/${token}`, { ...good, offer: otherOffer }));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("This page expired");
  });

  it("an expired link, a disabled admin's link and a forged cross-site post are refused", async () => {
    const clock = new TestClock();
    const call = testApp({ now: clock.now });
    const { token } = await invitedAdmin(clock);
    const offer = hidden(await (await call(`/admin/enrol/${token}`)).text(), "offer");
    expect((await call(...post(`/admin/enrol/${token}`, { offer }, { Origin: "https://evil.example" }))).status).toBe(403);
    clock.advance(3601);
    expect((await call(`/admin/enrol/${token}`)).status).toBe(404);
  });
});

describe("admin login", () => {
  it("logs in with password and code, sets a strict cookie, and refuses the same code twice", async () => {
    const { clock, call, name, secret } = await enrolledAdmin();
    clock.advance(30);
    const code = tokenFor(secret, clock.ms);
    const res = await login(call, name.toUpperCase(), PASSWORD, code);
    expect([res.status, res.headers.get("location")]).toEqual([303, "/admin/users"]);
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^totp_admin=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/admin; HttpOnly; Secure; SameSite=Strict$/);
    const home = await call("/admin", { headers: { Cookie: cookie.split(";")[0]! } });
    // The console's home is the overview (src/routes/admin/overview.tsx).
    expect([home.status, (await home.text()).includes("<h1>Overview</h1>")]).toEqual([200, true]);
    const again = await login(call, name, PASSWORD, code);
    expect(again.status).toBe(401);
    expect(await auditOf(name)).toEqual([
      { actor: name, action: "enrol", outcome: "ok" },
      { actor: name, action: "login", outcome: "ok" },
      { actor: name, action: "login", outcome: "refused" },
    ]);
  });

  it("answers an unknown name, a wrong password and a wrong code alike, and records no unknown name", async () => {
    const { clock, call, name, secret } = await enrolledAdmin();
    clock.advance(30);
    const code = tokenFor(secret, clock.ms);
    const answers = [];
    for (const [who, password, otp] of [
      [`nobody-${name}`, PASSWORD, code],
      [name, `${PASSWORD}x`, code],
      [name, PASSWORD, String((Number(code) + 1) % 1_000_000).padStart(6, "0")],
    ] as const) {
      const res = await login(call, who, password, otp);
      answers.push([res.status, (await res.text()).includes(LOGIN_REFUSED), res.headers.get("set-cookie")]);
    }
    expect(answers).toEqual(Array(3).fill([401, true, null]));
    const names = await env.DB.prepare("SELECT actor FROM audit_log WHERE actor LIKE 'nobody-%'").all();
    expect(names.results).toEqual([]);
    const all = JSON.stringify((await env.DB.prepare("SELECT * FROM audit_log").all()).results);
    expect(all).not.toContain(PASSWORD);
  });

  it("locks after the threshold with validate's arithmetic, and unlocks when the lock ends", async () => {
    const { clock, call, name, secret } = await enrolledAdmin();
    for (let i = 0; i < 5; i++) expect((await login(call, name, "wrong password!!", "000000")).status).toBe(401);
    expect((await clientRow(name))!.locked_until).toBe(clock.ms + 30_000);
    clock.advance(29);
    // Locked: even the right password and code are refused, and not checked.
    expect((await login(call, name, PASSWORD, tokenFor(secret, clock.ms))).status).toBe(401);
    clock.advance(31);
    expect((await login(call, name, PASSWORD, tokenFor(secret, clock.ms))).status).toBe(303);
    expect(await clientRow(name)).toMatchObject({ failed_attempts: 0, locked_until: 0, trusted_at: clock.ms });
    expect((await adminRow(name))!.failed_attempts).toBe(0);
  });

  it("concurrent guesses cannot outrun the lock", async () => {
    const clock = new TestClock();
    const call = testApp({ now: clock.now });
    const { name, token } = await invitedAdmin(clock);
    await enrol(call, clock, token);
    await Promise.all(Array.from({ length: 20 }, (_, i) => login(call, name, `guess number ${i}!!`, "123456")));
    const row = await clientRow(name);
    expect(row!.failed_attempts).toBe(5);
    expect(row!.locked_until).toBeGreaterThan(clock.ms);
    // The account's own count (for clients that never logged in) counted no more than the client's.
    expect((await adminRow(name))!.failed_attempts).toBe(5);
  });

  it("logout needs the CSRF token, ends the session, and a replayed cookie is refused", async () => {
    const admin = await enrolledAdmin();
    const { call, name } = admin;
    const cookie = await sessionCookie(admin);
    const page = await (await call("/admin/login?x", { headers: { Cookie: cookie } })).status;
    expect(page).toBe(303);
    const session = await env.DB.prepare("SELECT csrf_token FROM sessions WHERE id_hash = ?")
      .bind(await tokenHash(cookie.split("=")[1]!))
      .first<{ csrf_token: string }>();
    const csrf = session!.csrf_token;
    expect((await call(...post("/admin/logout", { csrf: "forged" }, { Cookie: cookie }))).status).toBe(403);
    const out = await call(...post("/admin/logout", { csrf }, { Cookie: cookie }));
    expect([out.status, out.headers.get("location")]).toEqual([303, "/admin/login?done=logged-out"]);
    const replay = await call("/admin/audit", { headers: { Cookie: cookie } });
    expect([replay.status, replay.headers.get("location")]).toEqual([303, "/admin/login"]);
    const count = await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE realm = 'admin' AND subject_id = ?")
      .bind((await adminRow(name))!.id)
      .first<{ n: number }>();
    expect(count!.n).toBe(0);
  });

  it("sessions end after 30 idle minutes and after 12 hours however busy", async () => {
    const admin = await enrolledAdmin();
    const { clock, call, name, secret } = admin;
    const cookie = await sessionCookie(admin);
    const status = async () => (await call("/admin", { headers: { Cookie: cookie } })).status;
    for (let minutes = 0; minutes < 12 * 60 - 20; minutes += 20) {
      clock.advance(20 * 60);
      expect(await status(), `after ${minutes + 20} min`).toBe(200);
    }
    clock.advance(20 * 60);
    expect(await status()).toBe(303);

    clock.advance(60);
    const fresh = (await login(call, name, PASSWORD, tokenFor(secret, clock.ms))).headers.get("set-cookie")!.split(";")[0]!;
    clock.advance(31 * 60);
    expect((await call("/admin", { headers: { Cookie: fresh } })).status).toBe(303);
  });

  it("a disabled admin's sessions stop working at once", async () => {
    const admin = await enrolledAdmin();
    const { clock, call, name, secret } = admin;
    const cookie = await sessionCookie(admin);
    await env.DB.prepare("UPDATE admins SET disabled_at = unixepoch() WHERE name = ?").bind(name).run();
    expect((await call("/admin", { headers: { Cookie: cookie } })).status).toBe(303);
    clock.advance(30);
    expect((await login(call, name, PASSWORD, tokenFor(secret, clock.ms))).status).toBe(401);
  });
});
