// The self-service portal over HTTP against the real D1 binding: logins, the portal's own lock,
// the first code (the same compare-and-set as validate), sessions, forms, and the two settings.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { subscribeToEverything } from "./support/subscriber";
import type { Env } from "../src/config";
import { loadKeyring, seal } from "../src/crypto/secret-box";
import { createApp } from "../src/index";
import { base32Encode } from "../src/otp/base32";
import { PORTAL_TEXT } from "../src/routes/portal/messages";
import { countingD1 } from "./counting-d1";
import { enroll, newApiKey, TestClock, tokenFor } from "./helpers";
import { TEST_ORIGIN } from "./support/pages";

let key: string;
beforeAll(async () => {
  await subscribeToEverything(); // the tests read events from the outbox
  key = await newApiKey();
});

const q = encodeURIComponent;
const FORM = "application/x-www-form-urlencoded";
const PASSWORD = "correct horse battery";

interface Row {
  failed_attempts: number;
  locked_until: number;
  portal_failed_attempts: number;
  portal_locked_until: number;
  confirmed_at: number | null;
  last_step: number;
}
const rowOf = (userId: number) =>
  env.DB.prepare(
    "SELECT failed_attempts, locked_until, portal_failed_attempts, portal_locked_until, confirmed_at, last_step FROM users WHERE id = ?",
  )
    .bind(userId)
    .first<Row>();

/** The user's portal count for requests without a client address (direct calls). */
const portalClientRow = (userId: number) =>
  env.DB.prepare("SELECT * FROM login_clients WHERE realm = 'portal' AND client = '' AND subject_id = ?")
    .bind(userId)
    .first<Record<string, number | null>>();

const sessionsOf = async (userId: number) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE realm = 'portal' AND subject_id = ?")
    .bind(userId)
    .first<{ n: number }>())!.n;

/** The app under `vars`, on its own clock, with the requests a browser and an API client make. */
function portal(vars: Partial<Env> = {}) {
  const clock = new TestClock();
  const app = createApp({ now: clock.now });
  // Round trips are counted, so that refusals can be shown to cost the same.
  const counted = countingD1({ ...env, ...vars });
  const workerEnv = counted.env;
  const call = async (path: string, init?: RequestInit): Promise<Response> =>
    app.fetch(new Request(`${TEST_ORIGIN}${path}`, init), workerEnv);
  const post = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    call(path, {
      method: "POST",
      headers: { Origin: TEST_ORIGIN, "Content-Type": FORM, ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  const login = (username: string, password: string) => post("/portal/login", { username, password });
  return {
    clock,
    roundTrips: counted.roundTrips,
    call,
    post,
    login,
    /** A user made by createuser, with a local password set through api.php unless `password` is null. */
    async user(password: string | null = PASSWORD) {
      const user = await enroll(call, key);
      if (password !== null) {
        const set = await call(`/api.php?action=changelocaluserpassword&user=${q(user.email)}&localpassword=${q(password)}&api_key=${key}`);
        expect(await set.text()).toBe("Success: user password changed");
      }
      return user;
    },
    /** Logs in and returns the cookie and the CSRF token of the page it leads to. */
    async session(username: string, password = PASSWORD) {
      const res = await login(username, password);
      expect(res.status).toBe(303);
      const cookie = res.headers.get("set-cookie")!.split(";")[0]!;
      const page = await (await call("/portal", { headers: { Cookie: cookie } })).text();
      const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
      return { cookie, csrf, page };
    },
    validate: async (userId: number, token: string) =>
      (await (await call(`/validate?api_key=${key}&userid=${userId}&token=${token}&format=1`)).json()) as Record<string, unknown>,
  };
}

type Portal = ReturnType<typeof portal>;
const page = async (p: Portal, cookie: string) => (await p.call("/portal", { headers: { Cookie: cookie } })).text();
const confirm = (p: Portal, s: { cookie: string; csrf: string }, code: string) =>
  p.post("/portal/confirm", { csrf: s.csrf, code }, { Cookie: s.cookie });
/** The key as the page shows it, spaces removed. */
const shownKey = (html: string) => /<p class="secret"[^>]*>([^<]*)<\/p>/.exec(html)?.[1]?.replaceAll(" ", "");
/** A message as hono/jsx writes it into the page. */
const inPage = (text: string) => text.replaceAll("'", "&#39;");
const wrongCode = (secret: string, ms: number) => (tokenFor(secret, ms) === "000000" ? "111111" : "000000");

/** What a console reset does to the row: a new sealed secret, unconfirmed. Returns the new base32 secret. */
async function resetSecret(userId: number): Promise<string> {
  const { username_key } = (await env.DB.prepare("SELECT username_key FROM users WHERE id = ?")
    .bind(userId)
    .first<{ username_key: string }>())!;
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  const sealed = await seal(await loadKeyring(env.SECRET_ENCRYPTION_KEYS), bytes, username_key);
  await env.DB.prepare("UPDATE users SET secret_ciphertext = ?, secret_key_id = ?, confirmed_at = NULL WHERE id = ?")
    .bind(sealed.ciphertext, sealed.sealKeyId, userId)
    .run();
  return base32Encode(bytes);
}

describe("portal login", () => {
  it("a right password starts a session on the portal's own cookie path and shows the user's own secret", async () => {
    const p = portal({ ISSUER: "Acme Corp" });
    const user = await p.user();
    const res = await p.login(user.email, PASSWORD);
    expect([res.status, res.headers.get("location")]).toEqual([303, "/portal"]);
    // Nothing of the secret on the login answer itself.
    expect(await res.text()).not.toContain(user.secret);
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^totp_portal=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/portal; HttpOnly; Secure; SameSite=Strict$/);
    const answer = await p.call("/portal", { headers: { Cookie: cookie.split(";")[0]! } });
    expect(answer.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await answer.text();
    expect(shownKey(html)).toBe(user.secret);
    expect(html).toMatch(/<img class="qr" alt="[^"]*Acme Corp[^"]*" src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+"/);
    expect(html).toContain("<strong>Acme Corp</strong>");
    expect(html).toContain('autocomplete="one-time-code"');
    expect(html).toContain('inputmode="numeric"');
    expect(html).toMatch(/<label for="code">/);
    expect(await rowOf(user.userId)).toMatchObject({ portal_failed_attempts: 0, confirmed_at: null });
  });

  it("the login form has labels and the autocomplete hints, and names the issuer", async () => {
    const html = await (await portal({ ISSUER: "Acme Corp" }).call("/portal")).text();
    expect(html).toMatch(/<label for="username">[^<]+<\/label><input id="username" name="username" type="text" autocomplete="username"/);
    expect(html).toMatch(
      /<label for="password">[^<]+<\/label><input id="password" name="password" type="password" autocomplete="current-password"/,
    );
    expect(html).toContain("<title>Sign in · Acme Corp</title>");
  });

  it("one answer for a wrong password, an unknown name, no local password, and a locked login", async () => {
    const p = portal();
    const withPassword = await p.user();
    const withoutPassword = await p.user(null);
    const locked = await p.user();
    for (let i = 0; i < 5; i++) await p.login(locked.email, "wrong password");
    // The dummy hash is made once per isolate: make it before anything is measured.
    await p.login(`nobody-${crypto.randomUUID()}@example.com`, PASSWORD);
    const deriveBits = vi.spyOn(crypto.subtle, "deriveBits");
    const answers = [];
    for (const [name, password] of [
      [withPassword.email, "wrong password"],
      [`nobody-${crypto.randomUUID()}@example.com`, PASSWORD],
      [withoutPassword.email, PASSWORD],
      [withoutPassword.email, ""],
      [locked.email, PASSWORD],
    ] as const) {
      const [tripsBefore, pbkdf2Before] = [p.roundTrips(), deriveBits.mock.calls.length];
      const res = await p.login(name, password);
      answers.push({
        status: res.status,
        cookie: res.headers.get("set-cookie"),
        body: (await res.text()).replaceAll(name, "NAME"),
        // The same work for each: the user's lookup and one failure write, and one PBKDF2 of the same cost.
        roundTrips: p.roundTrips() - tripsBefore,
        pbkdf2: deriveBits.mock.calls.slice(pbkdf2Before).map(([params]) => (params as { iterations?: number }).iterations),
      });
    }
    deriveBits.mockRestore();
    const [first, ...others] = answers;
    expect(first).toMatchObject({ status: 400, cookie: null, roundTrips: 2, pbkdf2: [100_000] });
    expect(first!.body).toContain(inPage(PORTAL_TEXT.loginRefused));
    for (const other of others) expect(other).toEqual(first);
    // A user without a password has nothing to guess: nothing counted.
    expect((await rowOf(withoutPassword.userId))!.portal_failed_attempts).toBe(0);
  });

  it("finds a phone user by the number as typed with separators", async () => {
    const p = portal();
    const phone = `+4179${String(Date.now()).slice(-7)}`;
    const created = (await (await p.call(`/createuser?api_key=${key}&phone=${q(phone)}&format=1`)).json()) as { userid: number };
    await p.call(`/api.php?action=changelocaluserpassword&user=${q(phone)}&localpassword=${q(PASSWORD)}&api_key=${key}`);
    const typed = `${phone.slice(0, 3)} ${phone.slice(3, 5)} ${phone.slice(5)}`;
    expect((await p.login(typed, PASSWORD)).status).toBe(303);
    expect(created.userid).toBeGreaterThan(0);
  });

  it("reads the PBKDF2 cost from the stored hash, not from the current setting", async () => {
    const cheap = portal({ PBKDF2_ITERATIONS: "10000" });
    const user = await cheap.user();
    const { password_hash } = (await env.DB.prepare("SELECT password_hash FROM users WHERE id = ?")
      .bind(user.userId)
      .first<{ password_hash: string }>())!;
    expect(password_hash).toMatch(/^pbkdf2-sha256\$10000\$/);
    expect((await portal().login(user.email, PASSWORD)).status).toBe(303);
  });
});

describe("the portal's password lock", () => {
  it("twelve wrong passwords lock the portal login, never the codes; the lock lifts on time", async () => {
    const p = portal();
    const user = await p.user();
    for (let i = 0; i < 12; i++) expect((await p.login(user.email, `guess ${i}`)).status).toBe(400);
    const row = (await rowOf(user.userId))!;
    // Counted only while not locked: the fifth locked this client out for LOCKOUT_BASE_SECONDS;
    // the account's own count (the ceiling for clients that never signed in) took the same five.
    expect(await portalClientRow(user.userId)).toMatchObject({ failed_attempts: 5, locked_until: p.clock.ms + 30_000 });
    expect(row).toMatchObject({ portal_failed_attempts: 5, portal_locked_until: 0 });
    expect(row).toMatchObject({ failed_attempts: 0, locked_until: 0 });
    const refused = await p.login(user.email, PASSWORD);
    expect([refused.status, refused.headers.get("set-cookie")]).toEqual([400, null]);
    // The API still checks the user's codes.
    expect(await p.validate(user.userId, wrongCode(user.secret, p.clock.ms))).toMatchObject({ validation: "false" });
    expect(await p.validate(user.userId, tokenFor(user.secret, p.clock.ms))).toMatchObject({ response: "OTP is valid" });
    p.clock.advance(30);
    expect((await p.login(user.email, PASSWORD)).status).toBe(303);
    expect(await rowOf(user.userId)).toMatchObject({ portal_failed_attempts: 0, portal_locked_until: 0 });
    expect(await portalClientRow(user.userId)).toMatchObject({ failed_attempts: 0, locked_until: 0, trusted_at: p.clock.ms });
  });
});

describe("confirming the first code", () => {
  it("a secret sealed under a key the keyring lacks: the page says so (503, never a 500), and a code changes nothing", async () => {
    const p = portal();
    const user = await p.user();
    const s = await p.session(user.email);
    await env.DB.prepare("UPDATE users SET secret_key_id = 'dropped' WHERE id = ?").bind(user.userId).run();
    const res = await p.call("/portal", { headers: { Cookie: s.cookie } });
    expect(res.status).toBe(503);
    expect(await res.text()).toContain(inPage(PORTAL_TEXT.secretUnreadable));
    const answer = await confirm(p, s, tokenFor(user.secret, p.clock.ms));
    expect([answer.status, answer.headers.get("location")]).toEqual([303, "/portal"]);
    expect(await rowOf(user.userId)).toMatchObject({ confirmed_at: null, failed_attempts: 0 });
  });

  it("confirms the user and spends the code: the API refuses it afterwards, and the page never shows the secret again", async () => {
    const p = portal();
    const user = await p.user();
    const s = await p.session(user.email);
    const code = tokenFor(user.secret, p.clock.ms);
    const res = await confirm(p, s, code);
    // The answer is the recovery codes, once (test/recovery-codes.test.ts); with them off, the user's page.
    expect([res.status, await res.text()]).toEqual([200, expect.stringContaining("Save your recovery codes")]);
    const off = portal({ RECOVERY_CODES: "off" });
    const other = await off.user();
    const answer = await confirm(off, await off.session(other.email), tokenFor(other.secret, off.clock.ms));
    expect([answer.status, answer.headers.get("location")]).toEqual([303, "/portal"]);
    expect((await rowOf(user.userId))!.confirmed_at).toBe(Math.floor(p.clock.ms / 1000));
    expect(await p.validate(user.userId, code)).toMatchObject({ code: 8, error: "token already used" });
    // user.confirmed, written with the confirmation, the portal its actor (docs/events.md).
    const events = await env.DB.prepare("SELECT data FROM event_outbox WHERE type = 'user.confirmed'").all<{ data: string }>();
    const confirmed = events.results.map((e) => JSON.parse(e.data)).filter((d) => d.userid === user.userId);
    expect(confirmed).toEqual([{ userid: user.userId, username: user.email, actor: { type: "portal" }, outcome: "ok" }]);

    const html = await page(p, s.cookie);
    expect(html).toContain("2026-01-01 12:00:00 UTC");
    for (const absent of [user.secret, "otpauth", "data:image"]) expect(html.replaceAll(" ", "")).not.toContain(absent);
    expect(html).not.toContain('name="code"');
    // A fresh login finds no secret either.
    const again = await p.session(user.email);
    expect(again.page.replaceAll(" ", "")).not.toContain(user.secret);
  });

  it("a code the API accepted first is refused by the portal, and the API's confirmation is the portal's", async () => {
    const p = portal();
    const user = await p.user();
    const s = await p.session(user.email);
    const code = tokenFor(user.secret, p.clock.ms);
    expect(await p.validate(user.userId, code)).toMatchObject({ response: "OTP is valid" });
    const res = await confirm(p, s, code);
    expect(res.status).toBe(303);
    expect(shownKey(await page(p, s.cookie))).toBeUndefined();
  });

  it("the same code sent to the portal and the API at once is accepted exactly once", async () => {
    const p = portal();
    const user = await p.user();
    const s = await p.session(user.email);
    const code = tokenFor(user.secret, p.clock.ms);
    const [portalAnswer, ...apiAnswers] = await Promise.all([
      confirm(p, s, code),
      ...Array.from({ length: 5 }, () => p.validate(user.userId, code)),
    ]);
    const apiWins = apiAnswers.filter((a) => a.response === "OTP is valid").length;
    const portalWon = portalAnswer!.status === 303 && apiWins === 0;
    expect(apiWins + (portalWon ? 1 : 0)).toBe(1);
    for (const a of apiAnswers.filter((a) => a.response !== "OTP is valid")) expect(a.code).toBe(8);
    expect((await rowOf(user.userId))!.confirmed_at).not.toBeNull();
  });

  it("a code of an already accepted step is refused as used, counting nothing", async () => {
    const p = portal();
    const user = await p.user();
    const s = await p.session(user.email);
    const code = tokenFor(user.secret, p.clock.ms);
    await env.DB.prepare("UPDATE users SET last_step = ? WHERE id = ?")
      .bind(Math.floor(p.clock.ms / 30_000), user.userId)
      .run();
    const res = await confirm(p, s, code);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(inPage(PORTAL_TEXT.codeUsed));
    expect(await rowOf(user.userId)).toMatchObject({ failed_attempts: 0, confirmed_at: null });
  });

  it("a wrong code counts on the OTP lock as on validate; a locked user cannot confirm", async () => {
    const p = portal();
    const user = await p.user();
    const s = await p.session(user.email);
    const wrong = await confirm(p, s, wrongCode(user.secret, p.clock.ms));
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain(inPage(PORTAL_TEXT.codeWrong));
    expect((await rowOf(user.userId))!.failed_attempts).toBe(1);
    for (let i = 0; i < 4; i++) await confirm(p, s, wrongCode(user.secret, p.clock.ms));
    expect(await rowOf(user.userId)).toMatchObject({ failed_attempts: 5, locked_until: p.clock.ms + 30_000, portal_failed_attempts: 0 });
    const locked = await confirm(p, s, tokenFor(user.secret, p.clock.ms));
    expect(locked.status).toBe(429);
    expect(await locked.text()).toContain(inPage(PORTAL_TEXT.codeLocked(30)));
    expect(await p.validate(user.userId, tokenFor(user.secret, p.clock.ms))).toMatchObject({ code: 6 });
    expect((await rowOf(user.userId))!.confirmed_at).toBeNull();
    p.clock.advance(30);
    expect((await confirm(p, s, tokenFor(user.secret, p.clock.ms))).status).toBe(200);
    expect(await rowOf(user.userId)).toMatchObject({ failed_attempts: 0, locked_until: 0 });
  });

  it("a malformed code is refused without counting; spaces are allowed", async () => {
    const p = portal();
    const user = await p.user();
    const s = await p.session(user.email);
    const res = await confirm(p, s, "12345");
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(inPage(PORTAL_TEXT.codeMalformed(6)));
    expect((await rowOf(user.userId))!.failed_attempts).toBe(0);
    const code = tokenFor(user.secret, p.clock.ms);
    expect((await confirm(p, s, `${code.slice(0, 3)} ${code.slice(3)}`)).status).toBe(200);
  });

  it("200 concurrent wrong codes: 'not right' only for the ones counted, the rest are told the lock", async () => {
    const p = portal();
    const user = await p.user();
    const s = await p.session(user.email);
    const answers = await Promise.all(Array.from({ length: 200 }, () => confirm(p, s, wrongCode(user.secret, p.clock.ms))));
    const texts = await Promise.all(answers.map((a) => a.text()));
    const wrong = texts.filter((t) => t.includes(inPage(PORTAL_TEXT.codeWrong))).length;
    const locked = answers.filter((a) => a.status === 429).length;
    expect((await rowOf(user.userId))!.failed_attempts).toBe(5);
    expect([wrong, locked]).toEqual([5, 195]);
  });

  it("once confirmed, codes are not checked at all: the portal is no second validate", async () => {
    const p = portal();
    const user = await p.user();
    const s = await p.session(user.email);
    await confirm(p, s, tokenFor(user.secret, p.clock.ms));
    const before = await rowOf(user.userId);
    p.clock.advance(30);
    for (const code of [tokenFor(user.secret, p.clock.ms), wrongCode(user.secret, p.clock.ms)]) {
      expect((await confirm(p, s, code)).status).toBe(303);
    }
    expect(await rowOf(user.userId)).toEqual(before);
    expect(await p.validate(user.userId, tokenFor(user.secret, p.clock.ms))).toMatchObject({ response: "OTP is valid" });
  });

  it("after a reset, an old session shows the new secret and can confirm it", async () => {
    const p = portal();
    const user = await p.user();
    const s = await p.session(user.email);
    await confirm(p, s, tokenFor(user.secret, p.clock.ms));
    const secret = await resetSecret(user.userId);
    expect(shownKey(await page(p, s.cookie))).toBe(secret);
    p.clock.advance(30);
    // A code of the old secret is wrong now.
    expect((await confirm(p, s, tokenFor(user.secret, p.clock.ms))).status).toBe(400);
    expect((await confirm(p, s, tokenFor(secret, p.clock.ms))).status).toBe(200);
    expect((await rowOf(user.userId))!.confirmed_at).not.toBeNull();
  });
});

describe("forms and sessions", () => {
  it("refuses a post from another site or without the session's CSRF token, doing nothing", async () => {
    const p = portal();
    const user = await p.user();
    const s = await p.session(user.email);
    const code = tokenFor(user.secret, p.clock.ms);
    const forged = [
      await p.post("/portal/confirm", { code }, { Cookie: s.cookie }),
      await p.post("/portal/confirm", { csrf: "x", code }, { Cookie: s.cookie }),
      await p.post("/portal/confirm", { csrf: s.csrf, code }, { Cookie: s.cookie, Origin: "https://evil.example" }),
      await p.post("/portal/logout", { csrf: "x" }, { Cookie: s.cookie }),
      await p.post("/portal/login", { username: user.email, password: "wrong" }, { Origin: "https://evil.example" }),
    ];
    expect(forged.map((r) => r.status)).toEqual([403, 403, 403, 403, 403]);
    expect(await rowOf(user.userId)).toMatchObject({ confirmed_at: null, failed_attempts: 0, portal_failed_attempts: 0 });
    expect(shownKey(await page(p, s.cookie))).toBe(user.secret);
  });

  it("logout ends the session: the same cookie then gets the login form", async () => {
    const p = portal();
    const user = await p.user();
    const s = await p.session(user.email);
    const out = await p.post("/portal/logout", { csrf: s.csrf }, { Cookie: s.cookie });
    expect([out.status, out.headers.get("location")]).toEqual([303, "/portal"]);
    expect(out.headers.get("set-cookie")).toMatch(/^totp_portal=; Max-Age=0; Path=\/portal;/);
    const replayed = await p.call("/portal", { headers: { Cookie: s.cookie } });
    const html = await replayed.text();
    expect(html).toContain('name="password"');
    expect(html.replaceAll(" ", "")).not.toContain(user.secret);
    const post = await confirm(p, s, tokenFor(user.secret, p.clock.ms));
    expect([post.status, post.headers.get("location")]).toEqual([303, "/portal"]);
    expect((await rowOf(user.userId))!.confirmed_at).toBeNull();
  });

  it("a GET of a form's action (a reload after a refusal) leads to /portal", async () => {
    const p = portal();
    for (const path of ["/portal/login", "/portal/confirm", "/portal/logout"]) {
      const res = await p.call(path);
      expect([res.status, res.headers.get("location")], path).toEqual([302, "/portal"]);
    }
  });

  it("a user deleted through api.php loses the session: its row goes in the deletion's batch", async () => {
    const p = portal();
    const user = await p.user();
    const s = await p.session(user.email);
    expect(await (await p.call(`/api.php?action=deletelocaluser&user=${q(user.email)}&api_key=${key}`)).text()).toBe(
      "Success: user deleted",
    );
    expect(await sessionsOf(user.userId)).toBe(0);
    const html = await page(p, s.cookie);
    expect(html).toContain('name="password"');
    expect(html.replaceAll(" ", "")).not.toContain(user.secret);
  });

  it("a password changed through api.php ends the user's portal sessions; a refused change ends none", async () => {
    const p = portal();
    const user = await p.user();
    const s = await p.session(user.email);
    const change = (password: string, apiKey = key) =>
      p.call(`/api.php?action=changelocaluserpassword&user=${q(user.email)}&localpassword=${q(password)}&api_key=${apiKey}`);
    expect(await (await change("short")).text()).toBe("Error: password too short (we expect at least 6 chars)");
    expect(await (await change("another good one", "wrong-key")).text()).toBe("Error: invalid api key");
    expect(await sessionsOf(user.userId)).toBe(1);
    expect(await (await change("another good one")).text()).toBe("Success: user password changed");
    expect(await sessionsOf(user.userId)).toBe(0);
    expect(await page(p, s.cookie)).toContain('name="password"');
    expect((await p.login(user.email, "another good one")).status).toBe(303);
  });
});

describe("settings", () => {
  it("PORTAL=off: every /portal path is the plain 404 of an unknown path", async () => {
    const p = portal({ PORTAL: "off" });
    const user = await p.user();
    for (const res of [
      await p.call("/portal"),
      await p.call("/portal/"),
      await p.call("/portal/anything"),
      await p.login(user.email, PASSWORD),
      await p.post("/portal/confirm", { code: "123456" }),
    ]) {
      expect([res.status, res.headers.get("content-type"), await res.text()]).toEqual([404, "text/plain; charset=utf-8", "Not Found"]);
    }
    expect((await rowOf(user.userId))!.portal_failed_attempts).toBe(0);
  });

  it("HIDE_QR_AFTER_CONFIRMATION: off (default) hashqr keeps answering after confirmation; on, it answers 404 until a reset", async () => {
    const shown = portal();
    const hidden = portal({ HIDE_QR_AFTER_CONFIRMATION: "on" });
    const status = async (p: Portal, url: string) => (await p.call(new URL(url).pathname + new URL(url).search)).status;
    for (const p of [shown, hidden]) {
      const user = await p.user();
      expect(await status(p, user.hashqr)).toBe(200);
      expect(await p.validate(user.userId, tokenFor(user.secret, p.clock.ms))).toMatchObject({ response: "OTP is valid" });
      expect(await status(p, user.hashqr)).toBe(p === shown ? 200 : 404);
      if (p === hidden) {
        const wrongSecret = await p.call(`/qr/${user.userId}.svg?secret=${"A".repeat(32)}`);
        const confirmed = await p.call(new URL(user.hashqr).pathname + new URL(user.hashqr).search);
        expect(await confirmed.text()).toBe(await wrongSecret.text());
        const secret = await resetSecret(user.userId);
        expect(await status(p, `${TEST_ORIGIN}/qr/${user.userId}.svg?secret=${secret}`)).toBe(200);
      }
    }
  });
});
