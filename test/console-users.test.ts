import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "../src/crypto/passwords";
import { qrSvg } from "../src/formats/qr-svg";
import { enroll, newApiKey, TestClock, testApp, tokenFor } from "./helpers";
import { adminSession, formPost, type PageSession, pageGet, portalSession, TEST_ORIGIN } from "./support/pages";
import { insertTokenUser } from "./support/token-users";

let apiKey: string;
beforeAll(async () => {
  apiKey = await newApiKey();
});

async function setup() {
  const clock = new TestClock();
  const call = testApp({ now: clock.now });
  const admin = await adminSession(clock.ms);
  const get = async (path: string) => {
    const res = await call(path, pageGet(admin));
    return { status: res.status, html: await res.text(), res };
  };
  const post = (path: string, fields: Record<string, string>, session: PageSession = admin) => call(path, formPost(session, fields));
  return { clock, call, admin, get, post };
}

/** A tag no other test's users start with, so a prefix search sees only this test's users. */
const tag = () => `t${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;

const htmlText = (html: string) =>
  html.replaceAll("&quot;", '"').replaceAll("&#39;", "'").replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");

/** The usernames of a list page, in order. */
const listed = (html: string) =>
  [...html.matchAll(/<td data-label="Username"><a href="\/admin\/users\/\d+">([^<]*)<\/a>/g)].map((m) => htmlText(m[1]!));
/** "N of M users match." */
const counted = (html: string) =>
  /([\d,]+) of ([\d,]+) users match\./
    .exec(html)
    ?.slice(1)
    .map((n) => Number(n.replaceAll(",", "")));
const nextLink = (html: string) => {
  const match = /<a href="([^"]*)">Next page<\/a>/.exec(html);
  return match ? htmlText(match[1]!) : null;
};
const versionOf = (html: string) => /name="version" value="([0-9a-f]{16})"/.exec(html)?.[1];

/** Inserts users straight into D1 (names as given, keys as the app makes them), returning their ids. */
async function seed(names: string[], extra: { lockedUntil?: number; portalLockedUntil?: number } = {}): Promise<number[]> {
  const statements = names.map((name) =>
    env.DB.prepare(
      `INSERT INTO users (username, username_key, secret_ciphertext, secret_key_id, created_at, locked_until, portal_locked_until)
       VALUES (?1, ?2, 'x.x', 't1', 1767225600, ?3, ?4) RETURNING id`,
    ).bind(name, name.includes("@") ? name.toLowerCase() : name, extra.lockedUntil ?? 0, extra.portalLockedUntil ?? 0),
  );
  const results = await env.DB.batch<{ id: number }>(statements);
  return results.map((r) => r.results[0]!.id);
}

const userRow = (id: number) => env.DB.prepare("SELECT * FROM users WHERE id = ?").bind(id).first<Record<string, unknown>>();
const auditOf = async (id: number) =>
  (await env.DB.prepare("SELECT actor, action, target, outcome FROM audit_log WHERE target LIKE ? ORDER BY id").bind(`user ${id} %`).all())
    .results;
const portalSessions = async (id: number) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE realm = 'portal' AND subject_id = ?").bind(id).first<{ n: number }>())!.n;

describe("the users list", () => {
  it("finds any part of a name in any case of A-Z, as typed otherwise, % and _ as themselves", async () => {
    const { get } = await setup();
    const t = tag();
    await seed([`${t}alice@example.com`, `${t}Alice@Other.org`, `${t}Bob`, `${t}bob`, `${t}%x`, `${t}_y`, `${t}Åsa`]);
    const search = async (q: string) => listed((await get(`/admin/users?q=${encodeURIComponent(q)}`)).html);
    expect(await search(`${t}ALICE@`)).toEqual([`${t}alice@example.com`, `${t}Alice@Other.org`]);
    expect(await search(`${t}Alice@Ex`)).toEqual([`${t}alice@example.com`]);
    expect(await search(`${t}Bob`)).toEqual([`${t}Bob`, `${t}bob`]);
    expect(await search(`${t}bob`)).toEqual([`${t}Bob`, `${t}bob`]);
    // Any part, not only the start: the middle of a name, and the domain of an address.
    expect(await search(`${t.slice(3)}ALICE@ex`)).toEqual([`${t}alice@example.com`]);
    expect(await search(`${t.slice(2)}alice@other.ORG`)).toEqual([`${t}Alice@Other.org`]);
    expect(await search(`${t}%`)).toEqual([`${t}%x`]);
    expect(await search(`${t}_`)).toEqual([`${t}_y`]);
    // Typed decomposed (A + combining ring), found as its NFC form.
    expect(await search(`  ${t}A\u030A `)).toEqual([`${t}Åsa`]);
    expect(await search(`${t}nobody`)).toEqual([]);
  });

  it("pages through 10,000 users with a keyset cursor, and finds one by a part of its name on page 1", async () => {
    const { get } = await setup();
    const p = `${tag()}-`;
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
       INSERT INTO users (username, username_key, secret_ciphertext, secret_key_id, created_at)
       SELECT ?1 || printf('%05d', i), ?1 || printf('%05d', i), 'x.x', 't1', 1767225600 + i FROM n`,
    )
      .bind(p)
      .run();
    const name = (i: number) => `${p}${String(i).padStart(5, "0")}`;
    const one = await get(`/admin/users?q=${p}04321`);
    expect(listed(one.html)).toEqual([name(4321)]);
    const all = (await env.DB.prepare("SELECT count(*) AS n FROM users").first<number>("n"))!;
    expect(counted(one.html)).toEqual([1, all]);
    expect(counted((await get(`/admin/users?q=${p}`)).html)).toEqual([10_000, all]);

    let path: string | null = `/admin/users?q=${p}`;
    for (let pageNo = 0; pageNo < 3; pageNo++) {
      const { status, html } = await get(path!);
      expect(status).toBe(200);
      expect(listed(html)).toEqual(Array.from({ length: 50 }, (_, i) => name(pageNo * 50 + i + 1)));
      path = nextLink(html);
      expect(path).toBe(`/admin/users?q=${p}&after=${name(pageNo * 50 + 50)}`);
    }
    // The last page has no next link: 100 names under this prefix make exactly two pages.
    const first = await get(`/admin/users?q=${p}099`);
    const second = await get(nextLink(first.html)!);
    expect(listed(second.html)).toEqual(Array.from({ length: 50 }, (_, i) => name(9950 + i)));
    expect(nextLink(second.html)).toBeNull();
    expect(second.html).toContain(">First page</a>");
  });

  it("finds a user by exact userid, and by phone or email when the username is neither", async () => {
    const { get } = await setup();
    const t = tag();
    const [id] = await seed([`${t}numbered`]);
    await env.DB.prepare("UPDATE users SET phone = ?, email = ? WHERE id = ?").bind("+41791234567", `${t}.Mail@Example.org`, id).run();
    const search = async (q: string) => listed((await get(`/admin/users?q=${encodeURIComponent(q)}`)).html);
    expect(await search(String(id))).toContain(`${t}numbered`);
    expect(await search(`${t}.mail@example`)).toEqual([`${t}numbered`]);
    const page = (await get(`/admin/users?q=${t}numbered`)).html;
    expect(page).toContain(`<td data-label="Userid">${id}</td>`);
  });

  it("filters (unconfirmed, portal locked, imported, token type) and sorts by created and last success, paged by keyset", async () => {
    const { clock, get } = await setup();
    const t = tag();
    const ids = await seed([`${t}a`, `${t}b`, `${t}c`, `${t}d`]);
    const set = (id: number, sql: string, ...values: unknown[]) =>
      env.DB.prepare(`UPDATE users SET ${sql} WHERE id = ?`)
        .bind(...values, id)
        .run();
    await set(ids[0]!, "confirmed_at = 1767225600, last_success_at = 1767225700, created_at = 1767225000");
    await set(ids[1]!, "portal_locked_until = ?, created_at = 1767225300, last_success_at = 1767225900", clock.ms + 60_000);
    await set(ids[2]!, "imported_at = 1767225600, token_serial = ?, created_at = 1767225200", `${t}-serial`);
    await set(ids[3]!, "created_at = 1767225200");
    const search = async (query: string) => listed((await get(`/admin/users?q=${t}&${query}`)).html);
    expect(await search("unconfirmed=1")).toEqual([`${t}b`, `${t}c`, `${t}d`]);
    expect(await search("portal-locked=1")).toEqual([`${t}b`]);
    expect(await search("imported=1")).toEqual([`${t}c`]);
    expect(await search("token=hardware")).toEqual([`${t}c`]);
    expect(await search("token=app&unconfirmed=1")).toEqual([`${t}b`, `${t}d`]);
    // Equal creation times: the higher userid first.
    expect(await search("sort=created")).toEqual([`${t}b`, `${t}d`, `${t}c`, `${t}a`]);
    expect(await search("sort=last-success")).toEqual([`${t}b`, `${t}a`, `${t}d`, `${t}c`]);
    const many = await seed(Array.from({ length: 51 }, (_, i) => `${t}m${i}`));
    const first = await get(`/admin/users?q=${t}m&sort=created`);
    expect(listed(first.html)).toEqual(many.slice(1).map((_, i) => `${t}m${50 - i}`));
    const next = nextLink(first.html)!;
    expect(next).toBe(`/admin/users?q=${t}m&sort=created&after=1767225600.${many[1]}`);
    expect(listed((await get(next)).html)).toEqual([`${t}m0`]);
  });

  it("codes locked only: locked now, in name order, paged", async () => {
    const { clock, get } = await setup();
    const t = tag();
    const soon = await seed([`${t}soon`], { lockedUntil: clock.ms + 60_000 });
    const later = await seed(
      Array.from({ length: 50 }, (_, i) => `${t}later${i}`),
      { lockedUntil: clock.ms + 600_000 },
    );
    await seed([`${t}expired`], { lockedUntil: clock.ms - 1 });
    await seed([`${t}portal`], { portalLockedUntil: clock.ms + 60_000 });
    const page1 = await get(`/admin/users?q=${t}&locked=1`);
    const names = [...later.map((_, i) => `${t}later${i}`), `${t}soon`].sort();
    expect(listed(page1.html)).toEqual(names.slice(0, 50));
    expect(counted(page1.html)?.[0]).toBe(51);
    const next = nextLink(page1.html)!;
    expect(next).toBe(`/admin/users?q=${t}&locked=1&after=${names[49]}`);
    const page2 = await get(next);
    expect(listed(page2.html)).toEqual([`${t}soon`]);
    expect(page2.html).toContain(`/admin/users/${soon[0]}`);
    expect(nextLink(page2.html)).toBeNull();
    // The full list shows both kinds of lock; an expired lock is no lock.
    const lockColumn = async (q: string) => /<td data-label="Locked">([^<]*)<\/td>/.exec((await get(`/admin/users?q=${q}`)).html)?.[1];
    expect(await lockColumn(`${t}soon`)).toBe("codes until 2026-01-01 12:01:00 UTC");
    expect(await lockColumn(`${t}portal`)).toBe("portal until 2026-01-01 12:01:00 UTC");
    expect(await lockColumn(`${t}expired`)).toBe("no");
  });

  it("bad search or cursor values give a page, never a 500", async () => {
    const { get } = await setup();
    for (const path of [
      `/admin/users?q=${"x".repeat(256)}`,
      "/admin/users?q=%01abc",
      "/admin/users?sort=created&after=nonsense",
      "/admin/users?sort=last-success&after=1.0",
      `/admin/users?after=${"z".repeat(2000)}`,
    ]) {
      const { status, html } = await get(path);
      expect([path, status]).toEqual([path, 400]);
      expect(html).toContain('role="alert"');
      expect(html).toContain('<label for="q">');
    }
    for (const path of [
      "/admin/users?q=%FF%FE",
      "/admin/users?after=%E2%82",
      "/admin/users?done=whatever&locked=yes",
      "/admin/users?q=%25%5F",
    ]) {
      expect([path, (await get(path)).status]).toEqual([path, 200]);
    }
  });
});

describe("a user's page", () => {
  it("shows dates, counts, locks and whether a password is set, never the hash", async () => {
    const { clock, call, get } = await setup();
    const user = await enroll(call, apiKey);
    await call(`/validate?api_key=${apiKey}&userid=${user.userId}&token=${tokenFor(user.secret, clock.ms)}`);
    clock.advance(30);
    await call(`/validate?api_key=${apiKey}&userid=${user.userId}&token=${tokenFor(user.secret, clock.ms, 7)}`);
    const hash = "pbkdf2-sha256$1000$c2FsdA$aGFzaA";
    await env.DB.prepare("UPDATE users SET password_hash = ?, portal_locked_until = ? WHERE id = ?")
      .bind(hash, clock.ms + 90_000, user.userId)
      .run();
    const { status, html } = await get(`/admin/users/${user.userId}`);
    expect(status).toBe(200);
    const text = html.replace(/<[^>]+>/g, "|");
    expect(text).toContain(`|Email||${user.email}|`);
    expect(text).toContain("|Created||2026-01-01 12:00:00 UTC|");
    expect(text).toContain("|Confirmed||2026-01-01 12:00:00 UTC|");
    expect(text).toContain("|Last success||2026-01-01 12:00:00 UTC|");
    expect(text).toContain("|Consecutive failures||1 wrong code, 0 wrong portal passwords|");
    expect(text).toContain("|Codes locked||not locked|");
    expect(text).toContain("|Portal locked||until 2026-01-01 12:02:00 UTC|");
    expect(text).toContain("|Local password||yes|");
    expect(text).toContain("|Token||SHA1, 6 digits, 30 s steps|");
    expect(text).toContain("|Clock drift||none (in step with the server)|");
    expect(html).not.toContain("pbkdf2");
    for (const slug of ["unlock", "resync", "reset-secret", "assign-token", "set-password", "delete"]) {
      expect(html).toContain(`href="/admin/users/${user.userId}/confirm/${slug}"`);
    }
  });

  it("shows an imported token's parameters and drift; its resync form asks for two codes of its length", async () => {
    const { get } = await setup();
    const user = await insertTokenUser({ algorithm: "SHA256", digits: 8, period: 60 }, { drift: -3 });
    const text = (await get(`/admin/users/${user.userId}`)).html.replace(/<[^>]+>/g, "|");
    expect(text).toContain("|Token||SHA256, 8 digits, 60 s steps|");
    expect(text).toContain("|Clock drift||−3 steps (about 180 s behind)|");
    const { html } = await get(`/admin/users/${user.userId}/confirm/resync`);
    expect(html).toContain(`<form method="post" action="/admin/users/${user.userId}/resync">`);
    expect(html).toContain("First code (8 digits)");
    expect(html.match(/<input[^>]* name="code[12]"[^>]*maxlength="10"/g)).toHaveLength(2);
  });

  it("an unknown or malformed id, or an unknown action, is a 404 page", async () => {
    const { call, get, post } = await setup();
    const { userId } = await enroll(call, apiKey);
    for (const path of ["/admin/users/999999999999", "/admin/users/abc", "/admin/users/0", `/admin/users/${userId}/confirm/explode`]) {
      const { status, html } = await get(path);
      expect([path, status]).toEqual([path, 404]);
      expect(html).toContain("User not found");
    }
    expect((await post("/admin/users/999999999999/unlock", {})).headers.get("location")).toBe("/admin/users?done=missing");
    expect((await post(`/admin/users/${userId}/explode`, {})).status).toBe(404);
  });

  it("GET never changes anything: list, page and every confirmation page", async () => {
    const { clock, call, get } = await setup();
    const user = await enroll(call, apiKey);
    await env.DB.prepare("UPDATE users SET failed_attempts = 5, locked_until = ? WHERE id = ?")
      .bind(clock.ms + 60_000, user.userId)
      .run();
    const before = await userRow(user.userId);
    for (const path of ["", "/unlock", "/reset-secret", "/set-password", "/delete", "/confirm/unlock", "/confirm/reset-secret"]) {
      await get(`/admin/users/${user.userId}${path}`);
    }
    await get(`/admin/users/${user.userId}/confirm/set-password`);
    await get(`/admin/users/${user.userId}/confirm/delete`);
    await get(`/admin/users/${user.userId}/confirm/resync`);
    await get(`/admin/users/${user.userId}/resync`);
    expect(await userRow(user.userId)).toEqual(before);
    expect(await auditOf(user.userId)).toEqual([]);
  });
});

describe("actions on a user", () => {
  /** A confirmation page's form: it posts to `action`, carries the session's CSRF token and (reset, delete) a version. */
  async function confirmation(get: (p: string) => Promise<{ html: string }>, admin: PageSession, id: number, slug: string) {
    const { html } = await get(`/admin/users/${id}/confirm/${slug}`);
    expect(html).toContain(`<form method="post" action="/admin/users/${id}/${slug}">`);
    expect(html).toContain(`name="csrf" value="${admin.csrf}"`);
    expect(html).toContain(`<a href="/admin/users/${id}">Cancel</a>`);
    return { html, version: versionOf(html) };
  }

  const ok = (admin: { name: string }, action: string, id: number, username: string) => ({
    actor: admin.name,
    action,
    target: `user ${id} ${username}`,
    outcome: "ok",
  });

  it("unlock clears both locks and both counts (every address's on the portal too), is recorded, and may be done twice", async () => {
    const { clock, call, admin, get, post } = await setup();
    const user = await enroll(call, apiKey);
    await env.DB.prepare(
      "UPDATE users SET failed_attempts = 7, locked_until = ?1, portal_failed_attempts = 9, portal_locked_until = ?1 WHERE id = ?2",
    )
      .bind(clock.ms + 600_000, user.userId)
      .run();
    await env.DB.prepare(
      "INSERT INTO login_clients (realm, subject_id, client, failed_attempts, locked_until) VALUES ('portal', ?2, '203.0.113.7', 6, ?1)",
    )
      .bind(clock.ms + 600_000, user.userId)
      .run();
    const { html } = await confirmation(get, admin, user.userId, "unlock");
    expect(html).toContain("Yes, unlock");
    for (let i = 0; i < 2; i++) {
      const res = await post(`/admin/users/${user.userId}/unlock`, {});
      expect([res.status, res.headers.get("location")]).toEqual([303, `/admin/users/${user.userId}?done=unlocked`]);
    }
    expect(await userRow(user.userId)).toMatchObject({
      failed_attempts: 0,
      locked_until: 0,
      portal_failed_attempts: 0,
      portal_locked_until: 0,
    });
    const clients = await env.DB.prepare(
      "SELECT failed_attempts, locked_until FROM login_clients WHERE realm = 'portal' AND subject_id = ?",
    )
      .bind(user.userId)
      .all();
    expect(clients.results).toEqual([{ failed_attempts: 0, locked_until: 0 }]);
    expect(await auditOf(user.userId)).toEqual([
      ok(admin, "user.unlock", user.userId, user.email),
      ok(admin, "user.unlock", user.userId, user.email),
    ]);
    expect((await get(`/admin/users/${user.userId}?done=unlocked`)).html).toContain('<p class="notice" role="status">Unlocked');
    const valid = await call(`/validate?api_key=${apiKey}&userid=${user.userId}&token=${tokenFor(user.secret, clock.ms)}&format=3`);
    expect(await valid.text()).toBe("true");
  });

  it("set local password: at least 6 characters, hashed, portal lock lifted and portal sessions ended", async () => {
    const { clock, call, admin, get, post } = await setup();
    const user = await enroll(call, apiKey);
    await env.DB.prepare("UPDATE users SET portal_failed_attempts = 5, portal_locked_until = ? WHERE id = ?")
      .bind(clock.ms + 600_000, user.userId)
      .run();
    await portalSession(user.userId, clock.ms);
    const { html } = await confirmation(get, admin, user.userId, "set-password");
    expect(html).toMatch(
      /<label for="password">[^<]+<\/label><input type="password" id="password" name="password" autocomplete="new-password"/,
    );

    const short = await post(`/admin/users/${user.userId}/set-password`, { password: "12345" });
    expect(short.status).toBe(400);
    expect(await short.text()).toContain("too short");
    expect(await userRow(user.userId)).toMatchObject({ password_hash: null, portal_locked_until: clock.ms + 600_000 });
    expect(await auditOf(user.userId)).toEqual([]);

    const res = await post(`/admin/users/${user.userId}/set-password`, { password: "pässwörd" });
    expect([res.status, res.headers.get("location")]).toEqual([303, `/admin/users/${user.userId}?done=password-set`]);
    const row = (await userRow(user.userId))!;
    expect(row).toMatchObject({ portal_failed_attempts: 0, portal_locked_until: 0 });
    expect(await verifyPassword("pässwörd", row.password_hash as string)).toBe(true);
    expect(await portalSessions(user.userId)).toBe(0);
    expect(await auditOf(user.userId)).toEqual([ok(admin, "user.set-password", user.userId, user.email)]);
    expect(JSON.stringify(await auditOf(user.userId))).not.toContain("pässwörd");
  });

  it("reset secret: a new secret shown once, old codes refused, the user unconfirmed; a second submit does nothing", async () => {
    const { clock, call, admin, get, post } = await setup();
    const user = await enroll(call, apiKey);
    const validate = async (secret: string) =>
      (await call(`/validate?api_key=${apiKey}&userid=${user.userId}&token=${tokenFor(secret, clock.ms)}&format=1`)).json();
    expect(await validate(user.secret)).toMatchObject({ validation: "true" });
    await portalSession(user.userId, clock.ms);
    const { version } = await confirmation(get, admin, user.userId, "reset-secret");
    expect(version).toMatch(/^[0-9a-f]{16}$/);

    const res = await post(`/admin/users/${user.userId}/reset-secret`, { version: version! });
    expect([res.status, res.headers.get("cache-control")]).toEqual([200, "no-store"]);
    const html = await res.text();
    const key = /<p class="secret"[^>]*>([A-Z2-7 ]+)<\/p>/.exec(html)![1]!;
    expect(key).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
    const secret = key.replaceAll(" ", "");
    const qr = /<img class="qr" alt="[^"]+" src="data:image\/svg\+xml;base64,([^"]+)"/.exec(html)![1]!;
    expect(atob(qr)).toMatch(/^<svg /);
    expect(html).toContain("shown only now");

    expect(await userRow(user.userId)).toMatchObject({ last_step: -1, confirmed_at: null, failed_attempts: 0, locked_until: 0 });
    expect(await portalSessions(user.userId)).toBe(0);
    clock.advance(30);
    expect(await validate(user.secret)).toMatchObject({ validation: "false", response: "OTP is not valid" });
    clock.advance(30);
    expect(await validate(secret)).toMatchObject({ validation: "true" });
    expect((await userRow(user.userId))!.confirmed_at).not.toBeNull();

    // The same confirmation again: the secret it confirmed is gone, so nothing happens.
    const cipher = (await userRow(user.userId))!.secret_ciphertext;
    const again = await post(`/admin/users/${user.userId}/reset-secret`, { version: version! });
    expect([again.status, again.headers.get("location")]).toEqual([303, `/admin/users/${user.userId}?done=already-reset`]);
    expect((await userRow(user.userId))!.secret_ciphertext).toBe(cipher);
    expect((await get(again.headers.get("location")!)).html).toContain("already reset");
    expect(await auditOf(user.userId)).toEqual([
      ok(admin, "user.reset-secret", user.userId, user.email),
      { ...ok(admin, "user.reset-secret", user.userId, user.email), outcome: "refused" },
    ]);
    expect(JSON.stringify(await auditOf(user.userId))).not.toContain(secret);
  });

  it("reset gives an imported token's user an authenticator app's secret: createuser's parameters, no drift", async () => {
    const { clock, call, admin, get, post } = await setup();
    const user = await insertTokenUser({ algorithm: "SHA512", digits: 8, period: 60 }, { drift: 4, confirmedAt: 1767225600 });
    const { version } = await confirmation(get, admin, user.userId, "reset-secret");
    const html = await (await post(`/admin/users/${user.userId}/reset-secret`, { version: version! })).text();
    const secret = /<p class="secret"[^>]*>([A-Z2-7 ]+)<\/p>/.exec(html)![1]!.replaceAll(" ", "");
    const qr = /src="data:image\/svg\+xml;base64,([^"]+)"/.exec(html)![1]!;
    const uri = `otpauth://totp/totp-edge:${encodeURIComponent(user.username)}?secret=${secret}&issuer=totp-edge&algorithm=SHA1&digits=6&period=30`;
    expect(atob(qr)).toBe(qrSvg(uri, 256));
    expect(await userRow(user.userId)).toMatchObject({ totp_algorithm: "SHA1", totp_digits: 6, totp_period: 30, totp_drift: 0 });
    clock.advance(30);
    const answer = await (
      await call(`/validate?api_key=${apiKey}&userid=${user.userId}&token=${tokenFor(secret, clock.ms)}&format=1`)
    ).json();
    expect(answer).toMatchObject({ validation: "true" });
  });

  it("validations racing a reset never accept a code of the old secret once the reset has committed", async () => {
    const { clock, call, admin, get, post } = await setup();
    let straddled = 0;
    for (let round = 0; round < 3; round++) {
      const user = await enroll(call, apiKey);
      const validate = (offset: number) =>
        call(`/validate?api_key=${apiKey}&userid=${user.userId}&token=${tokenFor(user.secret, clock.ms, offset)}&format=3`).then((r) =>
          r.text(),
        );
      expect(await validate(0)).toBe("true"); // the isolate now holds this user's key: the one-round-trip path
      clock.advance(30);
      const { version } = await confirmation(get, admin, user.userId, "reset-secret");
      // Old codes of every step in the drift window, in waves until the reset has answered. Once it
      // has committed, last_step is -1 again: only the ciphertext guard keeps these from being accepted.
      let resetAnswered = false;
      const resetting = post(`/admin/users/${user.userId}/reset-secret`, { version: version! }).finally(() => {
        resetAnswered = true;
      });
      const waves = async () => {
        while (!resetAnswered) await Promise.all([validate(-1), validate(0), validate(1)]);
      };
      await Promise.all([waves(), waves(), waves()]);
      expect((await resetting).status).toBe(200);
      // No old code was accepted after the reset: that would have set last_step or confirmed the user.
      const after = (await userRow(user.userId))!;
      expect(after).toMatchObject({ last_step: -1, confirmed_at: null });
      // Wrong codes counted after the reset are old codes checked against the new secret: the race happened.
      straddled += after.failed_attempts as number;
      clock.advance(30);
      expect(await validate(0)).toBe("false");
      expect(await userRow(user.userId)).toMatchObject({ last_step: -1, confirmed_at: null });
    }
    expect(straddled).toBeGreaterThan(0);
  });

  it("two submits of one reset confirmation at once: one shows a key, the other changes nothing, and the shown key works", async () => {
    const { clock, call, admin, get, post } = await setup();
    for (let round = 0; round < 3; round++) {
      const user = await enroll(call, apiKey);
      const { version } = await confirmation(get, admin, user.userId, "reset-secret");
      const answers = await Promise.all([1, 2, 3].map(() => post(`/admin/users/${user.userId}/reset-secret`, { version: version! })));
      const shown = answers.filter((r) => r.status === 200);
      expect(shown).toHaveLength(1);
      expect(answers.filter((r) => r.headers.get("location") === `/admin/users/${user.userId}?done=already-reset`)).toHaveLength(2);
      const secret = /<p class="secret"[^>]*>([A-Z2-7 ]+)<\/p>/.exec(await shown[0]!.text())![1]!.replaceAll(" ", "");
      clock.advance(30);
      const res = await call(`/validate?api_key=${apiKey}&userid=${user.userId}&token=${tokenFor(secret, clock.ms)}&format=3`);
      expect(await res.text()).toBe("true");
      // Exactly one entry says ok, whether a loser was stopped by the version check or by the guarded write.
      expect((await auditOf(user.userId)).map((e) => `${e.action} ${e.outcome}`).sort()).toEqual([
        "user.reset-secret ok",
        "user.reset-secret refused",
        "user.reset-secret refused",
      ]);
    }
  });

  it("delete: the user, their portal sessions and codes are gone, recorded; again says already deleted; a stale confirmation deletes nothing", async () => {
    const { clock, call, admin, get, post } = await setup();
    const user = await enroll(call, apiKey);
    await portalSession(user.userId, clock.ms);
    const { version } = await confirmation(get, admin, user.userId, "delete");
    for (const done of ["deleted", "already-deleted"]) {
      const res = await post(`/admin/users/${user.userId}/delete`, { version: version! });
      expect([res.status, res.headers.get("location")]).toEqual([303, `/admin/users?done=${done}`]);
    }
    expect(await userRow(user.userId)).toBeNull();
    expect(await portalSessions(user.userId)).toBe(0);
    expect(await auditOf(user.userId)).toEqual([ok(admin, "user.delete", user.userId, user.email)]);
    const validate = await call(`/validate?api_key=${apiKey}&userid=${user.userId}&token=${tokenFor(user.secret, clock.ms)}&format=1`);
    expect(await validate.json()).toMatchObject({ code: 4 });
    expect((await get(`/admin/users/${user.userId}`)).status).toBe(404);

    // Confirmed, then someone reset the secret: the delete does not happen.
    const other = await enroll(call, apiKey);
    const stale = (await confirmation(get, admin, other.userId, "delete")).version!;
    const fresh = (await confirmation(get, admin, other.userId, "reset-secret")).version!;
    expect((await post(`/admin/users/${other.userId}/reset-secret`, { version: fresh })).status).toBe(200);
    const res = await post(`/admin/users/${other.userId}/delete`, { version: stale });
    expect([res.status, res.headers.get("location")]).toEqual([303, `/admin/users/${other.userId}?done=changed`]);
    expect(await userRow(other.userId)).not.toBeNull();
    expect((await auditOf(other.userId)).map((e) => `${e.action} ${e.outcome}`)).toEqual(["user.reset-secret ok", "user.delete refused"]);
  });

  it("a post without the session's CSRF token, or from another origin, is refused with 403 and changes nothing", async () => {
    const { clock, call, admin } = await setup();
    const user = await enroll(call, apiKey);
    await env.DB.prepare("UPDATE users SET failed_attempts = 5, locked_until = ? WHERE id = ?")
      .bind(clock.ms + 60_000, user.userId)
      .run();
    const before = await userRow(user.userId);
    const version = versionOf(await (await call(`/admin/users/${user.userId}/confirm/delete`, pageGet(admin))).text())!;
    const forged = [
      formPost({ ...admin, csrf: "not-the-token" }, {}),
      formPost({ ...admin, csrf: "" }, { version }),
      { ...formPost(admin, { version }), headers: { ...formPost(admin, {}).headers, Origin: "https://evil.example" } },
    ];
    for (const slug of ["unlock", "delete", "reset-secret", "set-password"]) {
      for (const init of forged) {
        const res = await call(`/admin/users/${user.userId}/${slug}`, { ...init, body: `${init.body}&password=longenough` });
        expect([slug, res.status]).toEqual([slug, 403]);
      }
    }
    expect(await userRow(user.userId)).toEqual(before);
    expect(await auditOf(user.userId)).toEqual([]);
    expect(TEST_ORIGIN).not.toBe("https://evil.example");
  });
});
