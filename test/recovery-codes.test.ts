// Recovery codes over HTTP against the real D1 binding: issued once at the first code, "lost your
// phone?" re-enrolling the same userid, a code spent at most once under concurrency, wrong codes on
// the portal login's lock, a new set, the console's count, revocation and reset, and /validate.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { subscribeToEverything } from "./support/subscriber";
import type { Env } from "../src/config";
import { createApp } from "../src/index";
import { PORTAL_TEXT } from "../src/routes/portal/messages";
import { countingD1 } from "./counting-d1";
import { enroll, newApiKey, TestClock, tokenFor } from "./helpers";
import { adminSession, formPost, pageGet, TEST_ORIGIN } from "./support/pages";

let key: string;
beforeAll(async () => {
  await subscribeToEverything(); // the tests read events from the outbox
  key = await newApiKey();
});

const q = encodeURIComponent;
const PASSWORD = "correct horse battery";
const CODE_FORMAT = /^[0-9A-HJKMNP-TV-Z]{6}-[0-9A-HJKMNP-TV-Z]{6}$/;

const codeRows = async (userId: number) =>
  (await env.DB.prepare("SELECT salt, hash FROM recovery_codes WHERE user_id = ?").bind(userId).all<{ salt: string; hash: string }>())
    .results;
/** The user's portal count for requests without a client address (direct calls): src/domain/login-limits.ts. */
const portalClientRow = (userId: number) =>
  env.DB.prepare("SELECT * FROM login_clients WHERE realm = 'portal' AND client = '' AND subject_id = ?")
    .bind(userId)
    .first<Record<string, number | null>>();

const userRow = (userId: number) =>
  env.DB.prepare("SELECT secret_ciphertext, confirmed_at, portal_failed_attempts, portal_locked_until FROM users WHERE id = ?")
    .bind(userId)
    .first<{ secret_ciphertext: string; confirmed_at: number | null; portal_failed_attempts: number; portal_locked_until: number }>();
const auditActions = async (userId: number) =>
  (
    await env.DB.prepare("SELECT action, outcome FROM audit_log WHERE target LIKE ? ORDER BY id")
      .bind(`user ${userId} %`)
      .all<{ action: string; outcome: string }>()
  ).results;

/** The app under `vars` on its own clock, with the portal's forms as a browser posts them. Cheap passwords: PBKDF2 is not under test. */
function portal(vars: Partial<Env> = {}) {
  const clock = new TestClock();
  const app = createApp({ now: clock.now });
  // Round trips are counted, so that refusals can be shown to cost the same.
  const counted = countingD1({ ...env, PBKDF2_ITERATIONS: "10000", ...vars });
  const workerEnv = counted.env;
  const call = async (path: string, init?: RequestInit): Promise<Response> =>
    app.fetch(new Request(`${TEST_ORIGIN}${path}`, init), workerEnv);
  const post = (path: string, fields: Record<string, string>, cookie?: string) =>
    call(path, {
      method: "POST",
      headers: { Origin: TEST_ORIGIN, "Content-Type": "application/x-www-form-urlencoded", ...(cookie ? { Cookie: cookie } : {}) },
      body: new URLSearchParams(fields).toString(),
    });
  const cookieOf = (res: Response) => res.headers.get("set-cookie")!.split(";")[0]!;
  const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  /** Signs in, shows the unconfirmed page and confirms its key; returns the key, the codes shown and the session. */
  async function enrolInPortal(username: string, password = PASSWORD, login: Response | null = null) {
    const signedIn = login ?? (await post("/portal/login", { username, password }));
    expect(signedIn.status).toBe(303);
    const cookie = cookieOf(signedIn);
    const page = await (await call("/portal", { headers: { Cookie: cookie } })).text();
    const secret = /<p class="secret"[^>]*>([^<]*)<\/p>/.exec(page)![1]!.replaceAll(" ", "");
    const confirmed = await post("/portal/confirm", { csrf: csrfOf(page), code: tokenFor(secret, clock.ms) }, cookie);
    expect(confirmed.status).toBe(200);
    const html = await confirmed.text();
    const codes = [...html.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]!);
    return { secret, codes, html, cookie, csrf: csrfOf(html) };
  }
  return {
    clock,
    roundTrips: counted.roundTrips,
    call,
    post,
    enrolInPortal,
    recover: (username: string, code: string, password = PASSWORD) => post("/portal/recover", { username, password, code }),
    async user() {
      const user = await enroll(call, key);
      const set = await call(`/api.php?action=changelocaluserpassword&user=${q(user.email)}&localpassword=${q(PASSWORD)}&api_key=${key}`);
      expect(await set.text()).toBe("Success: user password changed");
      return user;
    },
    validate: async (userId: number, token: string) =>
      (await (await call(`/validate?api_key=${key}&userid=${userId}&token=${q(token)}&format=1`)).json()) as Record<string, unknown>,
  };
}

describe("recovery codes issued at the first code", () => {
  it("shows ten easy-to-type codes once, stores only salted hashes, and offers them as a text file", async () => {
    const p = portal();
    const user = await p.user();
    const { codes, html } = await p.enrolInPortal(user.email);
    expect(codes).toHaveLength(10);
    for (const code of codes) expect(code).toMatch(CODE_FORMAT);
    expect(new Set(codes).size).toBe(10);
    const file = /href="data:text\/plain;charset=utf-8;base64,([^"]+)" download="[^"]+\.txt"/.exec(html)![1]!;
    const text = new TextDecoder().decode(Uint8Array.from(atob(file), (ch) => ch.charCodeAt(0)));
    for (const code of codes) expect(text).toContain(code);
    const rows = await codeRows(user.userId);
    expect(rows).toHaveLength(10);
    const stored = JSON.stringify(rows);
    for (const code of codes) expect(stored).not.toContain(code.replace("-", ""));
    expect(new Set(rows.map((r) => r.salt)).size).toBe(10);
    // Shown once: the page afterwards says how many, never which.
    const cookie = (await p.post("/portal/login", { username: user.email, password: PASSWORD })).headers.get("set-cookie")!.split(";")[0]!;
    const later = await (await p.call("/portal", { headers: { Cookie: cookie } })).text();
    expect(later).toContain("You have 10 recovery codes.");
    for (const code of codes) expect(later).not.toContain(code);
    expect(await auditActions(user.userId)).toContainEqual({ action: "user.recovery-codes", outcome: "ok" });
  });

  it("RECOVERY_CODES=off: no codes after the first code, and no recovery form", async () => {
    const p = portal({ RECOVERY_CODES: "off" });
    const user = await p.user();
    const login = await p.post("/portal/login", { username: user.email, password: PASSWORD });
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    const page = await (await p.call("/portal", { headers: { Cookie: cookie } })).text();
    const secret = /<p class="secret"[^>]*>([^<]*)<\/p>/.exec(page)![1]!.replaceAll(" ", "");
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const confirmed = await p.post("/portal/confirm", { csrf, code: tokenFor(secret, p.clock.ms) }, cookie);
    expect([confirmed.status, confirmed.headers.get("location")]).toEqual([303, "/portal"]);
    expect(await codeRows(user.userId)).toHaveLength(0);
    expect((await p.call("/portal/recover")).status).toBe(404);
    expect((await p.recover(user.email, "AAAAAA-AAAAAA")).status).toBe(404);
    expect(await (await p.call("/portal")).text()).not.toContain("Lost your phone?");
  });
});

describe("lost your phone? re-enrolment", () => {
  it("re-enrols the same userid: the old secret's codes fail at once, the new one's pass, the whole old set is refused", async () => {
    const p = portal();
    const user = await p.user();
    const first = await p.enrolInPortal(user.email);
    p.clock.advance(60);
    // Typed in lower case, without its dash, with an O for a 0: still the code.
    const typed = first.codes[3]!.toLowerCase().replace("-", " ").replaceAll("0", "o");
    const recovered = await p.recover(user.email, typed);
    expect([recovered.status, recovered.headers.get("location")]).toEqual([303, "/portal"]);
    expect(await codeRows(user.userId)).toHaveLength(0);
    expect((await p.validate(user.userId, tokenFor(first.secret, p.clock.ms))).validation).toBe("false");
    expect((await userRow(user.userId))!.confirmed_at).toBeNull();
    const second = await p.enrolInPortal(user.email, PASSWORD, recovered);
    expect(second.secret).not.toBe(first.secret);
    expect(second.codes).toHaveLength(10);
    p.clock.advance(60);
    expect(await p.validate(user.userId, tokenFor(second.secret, p.clock.ms))).toMatchObject({ userid: user.userId, validation: "true" });
    for (const code of first.codes) expect((await p.recover(user.email, code)).status).toBe(400);
    expect(await auditActions(user.userId)).toContainEqual({ action: "user.recover", outcome: "ok" });
    // One user.recovered event (docs/events.md): the spent codes of the old set wrote none.
    const events = await env.DB.prepare("SELECT data FROM event_outbox WHERE type = 'user.recovered'").all<{ data: string }>();
    const recoveredEvents = events.results.map((e) => JSON.parse(e.data)).filter((d) => d.userid === user.userId);
    expect(recoveredEvents).toEqual([{ userid: user.userId, username: user.email, actor: { type: "portal" }, outcome: "ok" }]);
  });

  it("fifty parallel uses of one code: exactly one re-enrols", async () => {
    // 49 losers count as wrong codes: a threshold above them (with day-long locks, within the guessing bound).
    const p = portal({ LOCKOUT_THRESHOLD: "100", LOCKOUT_BASE_SECONDS: "86400", LOCKOUT_MAX_SECONDS: "604800" });
    const user = await p.user();
    const { codes } = await p.enrolInPortal(user.email);
    const before = (await userRow(user.userId))!.secret_ciphertext;
    const answers = await Promise.all(Array.from({ length: 50 }, () => p.recover(user.email, codes[0]!)));
    expect(answers.map((r) => r.status).sort()).toEqual([303, ...Array(49).fill(400)]);
    expect((await userRow(user.userId))!.secret_ciphertext).not.toBe(before);
    const sessions = await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE realm = 'portal' AND subject_id = ?")
      .bind(user.userId)
      .first<{ n: number }>();
    expect(sessions!.n).toBe(1);
  });

  it("wrong recovery codes lock the portal login after LOCKOUT_THRESHOLD, then even a right code and the password are refused", async () => {
    const p = portal();
    const user = await p.user();
    const { codes } = await p.enrolInPortal(user.email);
    for (let i = 0; i < 5; i++) {
      const res = await p.recover(user.email, `ZZZZZZ-ZZZZZ${i}`);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain(PORTAL_TEXT.recoveryRefused);
    }
    // Counted on this client's own count (it signed in before), as a wrong password would be.
    expect(await portalClientRow(user.userId)).toMatchObject({ failed_attempts: 5, locked_until: p.clock.ms + 30_000 });
    expect((await p.recover(user.email, codes[0]!)).status).toBe(400);
    expect((await p.post("/portal/login", { username: user.email, password: PASSWORD })).status).toBe(400);
    expect(await codeRows(user.userId)).toHaveLength(10);
    const refused = (await auditActions(user.userId)).filter((a) => a.action === "user.recover");
    expect(refused).toHaveLength(6);
    // After the lock, the code works: nothing was spent by the refusals.
    p.clock.advance(31);
    expect((await p.recover(user.email, codes[0]!)).status).toBe(303);
  });

  it("one answer and the same work for an unknown name, no password, a wrong password, a wrong code and a lock", async () => {
    const p = portal();
    const user = await p.user();
    const { codes } = await p.enrolInPortal(user.email);
    const noPassword = await enroll(p.call, key);
    const locked = await p.user();
    await p.enrolInPortal(locked.email);
    for (let i = 0; i < 5; i++) await p.recover(locked.email, "ZZZZZZ-ZZZZZZ");
    // The dummy hash is made once per isolate: make it before anything is measured.
    await p.recover(`nobody-${crypto.randomUUID()}@example.com`, codes[0]!);
    const answers = [];
    for (const [name, code, password] of [
      [user.email, "ZZZZZZ-ZZZZZZ", PASSWORD],
      [user.email, codes[0]!, "wrong password"],
      [`nobody-${crypto.randomUUID()}@example.com`, codes[0]!, PASSWORD],
      [noPassword.email, codes[0]!, PASSWORD],
      [locked.email, codes[0]!, PASSWORD],
      [user.email, "not a code", PASSWORD],
    ] as const) {
      const before = p.roundTrips();
      const res = await p.recover(name, code, password);
      answers.push({
        status: res.status,
        cookie: res.headers.get("set-cookie"),
        body: (await res.text()).replaceAll(name, "NAME"),
        roundTrips: p.roundTrips() - before,
      });
    }
    const [first, ...others] = answers;
    expect(first).toMatchObject({ status: 400, cookie: null, roundTrips: 4 });
    expect(first!.body).toContain(PORTAL_TEXT.recoveryRefused);
    for (const other of others) expect(other).toEqual(first);
    expect(await codeRows(user.userId)).toHaveLength(10);
  });

  it("a wrong password with a right code is refused and counted, the code kept", async () => {
    const p = portal();
    const user = await p.user();
    const { codes } = await p.enrolInPortal(user.email);
    expect((await p.recover(user.email, codes[0]!, "wrong password")).status).toBe(400);
    expect((await portalClientRow(user.userId))!.failed_attempts).toBe(1);
    expect(await codeRows(user.userId)).toHaveLength(10);
  });
});

describe("a new set", () => {
  it("needs the password and a current code; the old set stops working", async () => {
    const p = portal();
    const user = await p.user();
    const first = await p.enrolInPortal(user.email);
    p.clock.advance(60);
    const wrong = await p.post(
      "/portal/recovery-codes",
      { csrf: first.csrf, password: "nope", "app-code": tokenFor(first.secret, p.clock.ms) },
      first.cookie,
    );
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain(PORTAL_TEXT.renewWrongPassword);
    expect((await userRow(user.userId))!.portal_failed_attempts).toBe(1);
    const renewed = await p.post(
      "/portal/recovery-codes",
      { csrf: first.csrf, password: PASSWORD, "app-code": tokenFor(first.secret, p.clock.ms) },
      first.cookie,
    );
    expect(renewed.status).toBe(200);
    const codes = [...(await renewed.text()).matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]!);
    expect(codes).toHaveLength(10);
    expect(codes.some((code) => first.codes.includes(code))).toBe(false);
    // The code that made the set is spent for the API too.
    expect((await p.validate(user.userId, tokenFor(first.secret, p.clock.ms))).code).toBe(8);
    expect((await p.recover(user.email, first.codes[0]!)).status).toBe(400);
    expect((await p.recover(user.email, codes[0]!)).status).toBe(303);
  });
});

describe("the console", () => {
  it("shows how many codes are left and revokes them; a reset deletes them; a deleted user's codes go with them", async () => {
    const p = portal();
    const user = await p.user();
    await p.enrolInPortal(user.email);
    const admin = await adminSession();
    const detail = await (await p.call(`/admin/users/${user.userId}`, pageGet(admin))).text();
    expect(detail).toContain("<dt>Recovery codes</dt><dd>10 left</dd>");
    const revoked = await p.call(`/admin/users/${user.userId}/revoke-recovery-codes`, formPost(admin, {}));
    expect(revoked.status).toBe(303);
    expect(await codeRows(user.userId)).toHaveLength(0);
    expect(await (await p.call(`/admin/users/${user.userId}`, pageGet(admin))).text()).toContain("<dt>Recovery codes</dt><dd>none</dd>");
    expect(await auditActions(user.userId)).toContainEqual({ action: "user.revoke-recovery-codes", outcome: "ok" });

    const other = await p.user();
    await p.enrolInPortal(other.email);
    const version = /name="version" value="([^"]+)"/.exec(
      await (await p.call(`/admin/users/${other.userId}/confirm/reset-secret`, pageGet(admin))).text(),
    )![1]!;
    expect((await p.call(`/admin/users/${other.userId}/reset-secret`, formPost(admin, { version }))).status).toBe(200);
    expect(await codeRows(other.userId)).toHaveLength(0);

    const third = await p.user();
    await p.enrolInPortal(third.email);
    expect(await (await p.call(`/api.php?action=deletelocaluser&user=${q(third.email)}&api_key=${key}`)).text()).toBe(
      "Success: user deleted",
    );
    expect(await codeRows(third.userId)).toHaveLength(0);
  });
});

describe("/validate", () => {
  it("refuses a recovery code, with and without its dash, as a malformed token that counts nothing", async () => {
    const p = portal();
    const user = await p.user();
    const { codes } = await p.enrolInPortal(user.email);
    const code = codes[0]!;
    for (const token of [code, code.replace("-", "")]) {
      expect(await p.validate(user.userId, token)).toMatchObject({ code: 3, validation: "false" });
    }
    const row = await env.DB.prepare("SELECT failed_attempts FROM users WHERE id = ?")
      .bind(user.userId)
      .first<{ failed_attempts: number }>();
    expect(row!.failed_attempts).toBe(0);
    expect(await codeRows(user.userId)).toHaveLength(10);
  });
});
