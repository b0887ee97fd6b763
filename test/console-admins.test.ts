import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { guessSuccessesPerDay, MAX_GUESS_SUCCESSES_PER_DAY, readConfig } from "../src/config";
import { SETTINGS_WARNINGS } from "../src/domain/settings-report";
import { createApp } from "../src/index";
import { ADMIN_ACCOUNT_PATHS, ADMIN_ACCOUNT_TEXTS } from "../src/routes/admin/admins-views";
import { TestClock, testApp } from "./helpers";
import { adminRow, enrol, enrolledAdmin } from "./support/admins";
import { adminSession, formPost, type PageSession, pageGet } from "./support/pages";
import { subscribeToEverything } from "./support/subscriber";

const escapeHtml = (text: string) => text.replaceAll("&", "&amp;").replaceAll("'", "&#39;").replaceAll("“", "“");
const auditOf = (target: string) =>
  env.DB.prepare("SELECT actor, action, outcome, reason, client FROM audit_log WHERE target = ? ORDER BY id").bind(target).all();

/** A console session for an enrolled admin (the rules count enrolled, enabled admins). */
async function activeSession(): Promise<PageSession & { name: string }> {
  const session = await adminSession();
  await env.DB.prepare("UPDATE admins SET totp_ciphertext = 'x.x', totp_key_id = 't1' WHERE id = ?").bind(session.subjectId).run();
  return session;
}

describe("the admins page", () => {
  const call = testApp();
  beforeAll(subscribeToEverything);

  it("lists admins with their state, and never a hash or a secret", async () => {
    const session = await activeSession();
    const { name } = await enrolledAdmin();
    const row = (await adminRow(name))!;
    const html = await (await call("/admin/admins", pageGet(session))).text();
    expect(html).toContain(`<td data-label="Name">${name}</td>`);
    expect(html).toContain(`<td data-label="Second factor">set up</td>`);
    for (const secret of [row.password_hash, row.totp_ciphertext]) expect(html).not.toContain(String(secret));
  });

  it("invites an admin: the link is shown once, works once, and the invite is audited", async () => {
    const session = await activeSession();
    const name = `new-${Date.now().toString(36)}`;
    // The list's form asks first (a GET that changes nothing); the confirmation page posts.
    const confirm = await (await call(`${ADMIN_ACCOUNT_PATHS.confirmInvite}?name=${name.toUpperCase()}`, pageGet(session))).text();
    expect(confirm).toContain(`<input type="hidden" name="name" value="${name}"/>`);
    expect(confirm).toContain(`action="${ADMIN_ACCOUNT_PATHS.invite}"`);
    expect(await adminRow(name)).toBeNull();
    const res = await call(ADMIN_ACCOUNT_PATHS.invite, formPost(session, { name }));
    expect(res.status).toBe(200);
    const link = /id="enrolment-link">https:\/\/totp\.test\/admin\/enrol\/([A-Za-z0-9_-]{43})</.exec(await res.text())![1]!;
    const clock = new TestClock(Date.now());
    await enrol(testApp({ now: clock.now }), clock, link);
    expect((await adminRow(name))!.totp_ciphertext).not.toBeNull();
    expect((await call(`/admin/enrol/${link}`)).status).not.toBe(200);
    expect((await auditOf(`admin ${name}`)).results).toEqual([
      { actor: session.name, action: "admin.create", outcome: "ok", reason: null, client: null },
    ]);
    expect(await env.DB.prepare("SELECT action FROM audit_log WHERE actor = ?").bind(name).first("action")).toBe("enrol");
    // The same name again is refused, and nothing is written.
    const again = await call(ADMIN_ACCOUNT_PATHS.invite, formPost(session, { name }));
    expect(again.status).toBe(409);
    expect(await again.text()).toContain(escapeHtml(ADMIN_ACCOUNT_TEXTS.exists));
    expect((await auditOf(`admin ${name}`)).results).toHaveLength(1);
  });

  it("refuses a bad name and a post without the CSRF token", async () => {
    const session = await activeSession();
    expect((await call(ADMIN_ACCOUNT_PATHS.invite, formPost(session, { name: "Not A Name!" }))).status).toBe(400);
    expect((await call(`${ADMIN_ACCOUNT_PATHS.confirmInvite}?name=-bad`, pageGet(session))).status).toBe(400);
    const forged = formPost(session, { name: "forged" });
    forged.body = new URLSearchParams({ name: "forged" }).toString();
    expect((await call(ADMIN_ACCOUNT_PATHS.invite, forged)).status).toBe(403);
    expect(await adminRow("forged")).toBeNull();
  });

  it("resets an admin after a confirmation: new link, password and second factor dropped, sessions ended", async () => {
    const session = await activeSession();
    const other = await activeSession();
    const confirm = await call(ADMIN_ACCOUNT_PATHS.confirm(other.subjectId, "reset"), pageGet(session));
    expect(await confirm.text()).toContain(`action="${ADMIN_ACCOUNT_PATHS.act(other.subjectId, "reset")}"`);
    const res = await call(ADMIN_ACCOUNT_PATHS.act(other.subjectId, "reset"), formPost(session, {}));
    expect(await res.text()).toMatch(/id="enrolment-link">https:\/\/totp\.test\/admin\/enrol\/[A-Za-z0-9_-]{43}</);
    const row = (await adminRow(other.name))!;
    expect([row.password_hash, row.totp_ciphertext, row.disabled_at]).toEqual([null, null, null]);
    expect((await call("/admin/admins", pageGet(other))).status).toBe(303);
    expect((await auditOf(`admin ${other.name}`)).results).toEqual([
      { actor: session.name, action: "admin.reset", outcome: "ok", reason: null, client: null },
    ]);
  });

  it("disables an admin: their sessions end; themselves and the last active admin are refused", async () => {
    const session = await activeSession();
    const other = await activeSession();
    const disabled = await call(ADMIN_ACCOUNT_PATHS.act(other.subjectId, "disable"), formPost(session, {}));
    expect(await disabled.text()).toContain(ADMIN_ACCOUNT_TEXTS.disabled(other.name));
    expect((await adminRow(other.name))!.disabled_at).not.toBeNull();
    expect((await call("/admin/admins", pageGet(other))).status).toBe(303);

    const events = await env.DB.prepare("SELECT data FROM event_outbox WHERE type = 'admin.changed' AND data LIKE ?")
      .bind(`%"${other.name}"%`)
      .all<{ data: string }>();
    expect(events.results.map((row) => JSON.parse(row.data))).toEqual([
      { admin: other.name, change: "disabled", actor: { type: "admin", name: session.name }, outcome: "ok" },
    ]);

    const self = await call(ADMIN_ACCOUNT_PATHS.act(session.subjectId, "disable"), formPost(session, {}));
    expect(self.status).toBe(409);
    expect(await self.text()).toContain(escapeHtml(ADMIN_ACCOUNT_TEXTS.refused.self));
    expect((await adminRow(session.name))!.disabled_at).toBeNull();
    expect((await auditOf(`admin ${session.name}`)).results).toEqual([
      { actor: session.name, action: "admin.disable", outcome: "refused", reason: "an admin cannot disable themselves", client: null },
    ]);
  });

  it("of two admins disabling each other at once, with no third, exactly one succeeds", async () => {
    const a = await activeSession();
    const b = await activeSession();
    // Every other admin of this file is disabled: a and b are the last two who can log in.
    await env.DB.prepare("UPDATE admins SET disabled_at = 1 WHERE id NOT IN (?, ?)").bind(a.subjectId, b.subjectId).run();
    const answers = await Promise.all([
      call(ADMIN_ACCOUNT_PATHS.act(b.subjectId, "disable"), formPost(a, {})),
      call(ADMIN_ACCOUNT_PATHS.act(a.subjectId, "disable"), formPost(b, {})),
    ]);
    const statuses = answers.map((res) => res.status);
    // The loser's session may already be gone (303 to the login) or its disable refused (409): never both 200.
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    const active = await env.DB.prepare("SELECT count(*) AS n FROM admins WHERE disabled_at IS NULL AND totp_ciphertext IS NOT NULL").first(
      "n",
    );
    expect(active).toBe(1);
    // One admin.changed event, for the one change that happened.
    const names = `%"admin":"${a.name}"%`;
    const other = `%"admin":"${b.name}"%`;
    const events = await env.DB.prepare(
      "SELECT count(*) AS n FROM event_outbox WHERE type = 'admin.changed' AND (data LIKE ? OR data LIKE ?)",
    )
      .bind(names, other)
      .first("n");
    expect(events).toBe(1);
    // The survivor cannot disable themselves either: the console keeps one admin who can log in.
    const survivor = (await adminRow(a.name))!.disabled_at === null ? a : b;
    const last = await call(ADMIN_ACCOUNT_PATHS.act(survivor.subjectId, "disable"), formPost(survivor, {}));
    expect(last.status).toBe(409);
  });

  it("refuses to disable the last active admin, whoever asks", async () => {
    const a = await activeSession();
    const invited = await adminSession();
    await env.DB.prepare("UPDATE admins SET disabled_at = 1 WHERE id NOT IN (?, ?)").bind(a.subjectId, invited.subjectId).run();
    // An admin who has not enrolled cannot log in: a is the last active one.
    const res = await call(ADMIN_ACCOUNT_PATHS.act(a.subjectId, "disable"), formPost(invited, {}));
    expect(res.status).toBe(409);
    expect(await res.text()).toContain(escapeHtml(ADMIN_ACCOUNT_TEXTS.refused.last));
    expect((await adminRow(a.name))!.disabled_at).toBeNull();
    const [entry] = (await auditOf(`admin ${a.name}`)).results.slice(-1);
    expect(entry).toMatchObject({ outcome: "refused", reason: "the last active admin cannot be disabled" });
  });

  it("answers an unknown admin with a 404 page", async () => {
    const session = await activeSession();
    expect((await call(ADMIN_ACCOUNT_PATHS.confirm(999_999, "disable"), pageGet(session))).status).toBe(404);
    expect((await call("/admin/admins/abc/disable", formPost(session, {}))).status).toBe(404);
  });
});

describe("the settings page", () => {
  it("shows every setting's value and default and the key ids, never a key", async () => {
    const session = await activeSession();
    const html = await (await testApp()("/admin/settings", pageGet(session))).text();
    expect(html).toContain('<td data-label="Setting">LOCKOUT_THRESHOLD</td>');
    const row = (name: string) =>
      new RegExp(`<td data-label="Setting">${name}</td><td data-label="Value">([^<]*)</td><td data-label="Default">([^<]*)</td>`)
        .exec(html)
        ?.slice(1);
    const raw = (name: string) => (env as unknown as Record<string, string | undefined>)[name];
    expect(row("LOCKOUT_THRESHOLD")).toEqual([`${raw("LOCKOUT_THRESHOLD") ?? 5} failures`, "5 failures"]);
    expect(row("PUBLIC_ORIGIN")).toEqual([raw("PUBLIC_ORIGIN") ?? "not set (the request&#39;s own)", "not set (the request&#39;s own)"]);
    expect(row("PORTAL")?.[1]).toBe("on");
    expect(row("WEBHOOK_TIMEOUT_MS")?.[1]).toBe("5000 ms");
    const keyIds = env.SECRET_ENCRYPTION_KEYS!.split(",").map((entry) => entry.split(":")[0]!);
    expect(html).toContain(`<span id="key-ids">${keyIds.join(", ")}</span>`);
    for (const entry of env.SECRET_ENCRYPTION_KEYS!.split(",")) expect(html).not.toContain(entry.split(":")[1]!);
    // Served from a deployment's address without PUBLIC_ORIGIN: warned.
    expect(html).toContain(SETTINGS_WARNINGS.noOrigin);
  });
});

describe("the settings page's warnings", () => {
  const devKey = `dev:${btoa(String.fromCharCode(...new Uint8Array(32).fill(7)))}`;
  const page = async (origin: string, vars: Record<string, string>) => {
    const session = await activeSession();
    const res = await createApp().fetch(new Request(`${origin}/admin/settings`, pageGet(session)), { ...env, ...vars });
    expect(res.status).toBe(200);
    return res.text();
  };

  it("warns of the local key and of lockout settings near the guessing bound on a deployment", async () => {
    // The highest threshold the Worker accepts with the other settings at their defaults: at the bound.
    const accepted = (threshold: number) => {
      try {
        return guessSuccessesPerDay(readConfig({ ...env, LOCKOUT_THRESHOLD: String(threshold) }));
      } catch {
        return null;
      }
    };
    let threshold = 5;
    while (accepted(threshold + 1) !== null) threshold++;
    const vars = { SECRET_ENCRYPTION_KEYS: devKey, LOCKOUT_THRESHOLD: String(threshold) };
    const figure = accepted(threshold)!;
    expect(figure).toBeGreaterThan(0.8 * MAX_GUESS_SUCCESSES_PER_DAY);
    const html = await page("https://totp.example.com", vars);
    expect(html).toContain(SETTINGS_WARNINGS.devKey.replaceAll("“", "“"));
    expect(html).toContain(SETTINGS_WARNINGS.nearBound(figure));
    expect(html).toContain('<span id="key-ids">dev</span>');
    expect(html).not.toContain(devKey.slice(4));
  });

  it("raises none for the local server, and none for a deployment with safe values", async () => {
    expect(await page("http://localhost:8787", { SECRET_ENCRYPTION_KEYS: devKey })).not.toContain('class="warning"');
    const safe = await page("https://totp.example.com", { PUBLIC_ORIGIN: "https://totp.example.com", WEBHOOK_LOCAL_HTTP: "off" });
    expect(safe).not.toContain('class="warning"');
  });
});
