// Events inside workerd: outbox rows written with the changes they report (and only then), the
// console's /admin/webhooks, the signature against the `standardwebhooks` package, and the
// dead-letter queue's verdict shown in the console. Deliveries over HTTP: test/node/webhooks.test.ts.
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { beforeAll, describe, expect, it } from "vitest";
import eventsDoc from "../docs/events.md?raw";
import { EVENT_CATALOGUE, EVENT_TYPES } from "../src/domain/events";
import { eventBody, handleEventBatch } from "../src/events/deliver";
import { signatureHeader } from "../src/events/sign";
import { WEBHOOK_TEXTS } from "../src/routes/admin/webhooks";
import { enroll, newApiKey, testApp, TestClock, tokenFor } from "./helpers";
import { enrol, invitedAdmin, login } from "./support/admins";
import { adminSession, type PageSession, pageGet, TEST_ORIGIN } from "./support/pages";

const call = testApp();
let admin: PageSession & { name: string };
let key: string;
beforeAll(async () => {
  admin = await adminSession();
  key = await newApiKey();
});

const post = (path: string, fields: Array<[string, string]>) =>
  call(path, {
    method: "POST",
    headers: { Cookie: admin.cookie, Origin: TEST_ORIGIN, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams([["csrf", admin.csrf], ...fields]).toString(),
  });

const events = async (type: string) =>
  (await env.DB.prepare("SELECT id, data FROM event_outbox WHERE type = ? ORDER BY at").bind(type).all<{ id: string; data: string }>())
    .results;

async function addEndpoint(url: string, types: string[]): Promise<{ id: string; secret: string }> {
  const res = await post("/admin/webhooks", [["url", url], ...types.map((t): [string, string] => ["events", t])]);
  const html = await res.text();
  expect(res.status, html).toBe(200);
  return { id: /Signing secret of (ep_[\w-]+)/.exec(html)![1]!, secret: /(whsec_[A-Za-z0-9+/=]+)/.exec(html)![1]! };
}

describe("events and the webhooks console", () => {
  it("adds an endpoint with its types: the secret shown once, stored only sealed, the change audited; bad input refused", async () => {
    const { id, secret } = await addEndpoint("http://localhost:9/hooks", ["user.locked", "user.deleted"]);
    const row = await env.DB.prepare("SELECT * FROM webhook_endpoints WHERE id = ?").bind(id).first<Record<string, string>>();
    expect(row).toMatchObject({ url: "http://localhost:9/hooks", events: '["user.locked","user.deleted"]', secret_key_id: "t1" });
    expect(JSON.stringify(row)).not.toContain(secret.slice(6, 20));
    const page = await (await call(`/admin/webhooks/${id}`, pageGet(admin))).text();
    expect(page).toContain("http://localhost:9/hooks");
    expect(page).not.toContain("whsec_");
    const audit = await env.DB.prepare("SELECT action, target FROM audit_log WHERE actor = ?").bind(admin.name).all();
    expect(audit.results).toContainEqual({ action: "webhook.add", target: `webhook ${id}` });
    for (const [url, types] of [
      ["http://example.com/hooks", ["user.locked"]],
      ["https://example.com/hooks", []],
      ["https://example.com/hooks", ["user.nonsense"]],
    ] as const) {
      expect((await post("/admin/webhooks", [["url", url], ...types.map((t): [string, string] => ["events", t])])).status).toBe(400);
    }
  });

  it("writes an event with each change, in its batch, and none for a change that did not happen", async () => {
    await addEndpoint("http://localhost:9/everything", [...EVENT_TYPES]);
    const clock = new TestClock();
    const app = testApp({ now: clock.now });
    const user = await enroll(app, key);
    const created = (await events("user.created")).find((e) => JSON.parse(e.data).userid === user.userId)!;
    expect(JSON.parse(created.data)).toMatchObject({ username: user.email, actor: { type: "api_key" }, outcome: "ok" });
    const wrong = tokenFor(user.secret, clock.ms, 5);
    for (let i = 0; i < 7; i++) await app(`/validate?api_key=${key}&userid=${user.userId}&token=${wrong}`);
    const locks = (await events("user.locked")).filter((e) => JSON.parse(e.data).userid === user.userId);
    expect(locks).toHaveLength(1); // the refused attempts while locked changed nothing
    // A wrong key deletes nothing and announces nothing.
    await app(`/api.php?action=deletelocaluser&api_key=wrong${key}&user=${encodeURIComponent(user.email)}`);
    expect((await events("user.deleted")).filter((e) => JSON.parse(e.data).userid === user.userId)).toEqual([]);
    await post("/admin/keys", [["label", "hooks"]]);
    const keyEvent = (await events("api_key.created")).at(-1)!;
    expect(JSON.parse(keyEvent.data)).toMatchObject({ label: "hooks", actor: { type: "admin", name: admin.name } });
    const keyId = JSON.parse(keyEvent.data).key_id as number;
    await post(`/admin/keys/${keyId}/revoke`, []);
    await post(`/admin/keys/${keyId}/revoke`, []);
    expect((await events("api_key.revoked")).filter((e) => JSON.parse(e.data).key_id === keyId)).toHaveLength(1);
  });

  it("writes admin.changed with an enrolment, and one admin.login_refused per address and hour however many refusals", async () => {
    const clock = new TestClock(Date.UTC(2026, 5, 1, 9, 10));
    const app = testApp({ now: clock.now });
    const { name, token } = await invitedAdmin(clock);
    await enrol(app, clock, token);
    const changed = (await events("admin.changed")).map((e) => JSON.parse(e.data)).filter((d) => d.admin === name);
    expect(changed).toEqual([{ admin: name, change: "enrolled", actor: { type: "admin", name }, outcome: "ok" }]);
    const refusedFrom = async (address: string) =>
      (await events("admin.login_refused")).map((e) => JSON.parse(e.data)).filter((d) => d.address === address);
    // A wrong password of a known admin, and names that are nobody's: one event for the address and hour.
    for (const who of [name, "nobody.at.all", "nobody.else"]) await login(app, who, "wrong password here", "000000", "192.0.2.61");
    await login(app, "nobody.at.all", "wrong password here", "000000", "192.0.2.62");
    expect(await refusedFrom("192.0.2.61")).toEqual([
      {
        address: "192.0.2.61",
        window_start: "2026-06-01T09:00:00.000Z",
        window_end: "2026-06-01T10:00:00.000Z",
        actor: { type: "anonymous" },
        outcome: "refused",
      },
    ]);
    expect(await refusedFrom("192.0.2.62")).toHaveLength(1);
    clock.advance(3600);
    await login(app, name, "wrong password here", "000000", "192.0.2.61");
    expect(await refusedFrom("192.0.2.61")).toHaveLength(2);
  });

  it("every event type of the catalogue is delivered verifiably: the standardwebhooks package checks each one's signature", async () => {
    const secret = crypto.getRandomValues(new Uint8Array(24));
    const timestamp = Math.floor(Date.now() / 1000);
    for (const event of EVENT_CATALOGUE) {
      const data = JSON.stringify(Object.fromEntries([...event.data, "actor", "outcome"].map((field) => [field, field])));
      const body = eventBody({ type: event.type, at: Date.now(), data });
      const headers = { "webhook-id": `msg_${event.type}`, "webhook-timestamp": String(timestamp) };
      const signature = await signatureHeader([secret], headers["webhook-id"], timestamp, body);
      const verified = new Webhook(btoa(String.fromCharCode(...secret))).verify(body, { ...headers, "webhook-signature": signature });
      expect(verified, event.type).toMatchObject({ type: event.type, data: JSON.parse(data) });
    }
  });

  it("writes no event that no active endpoint subscribes to", async () => {
    // The endpoints of the tests before (this file shares one D1) are disabled first.
    await env.DB.prepare("UPDATE webhook_endpoints SET disabled_at = ? WHERE disabled_at IS NULL").bind(Date.now()).run();
    const only = await addEndpoint("http://localhost:9/deletions", ["user.deleted"]);
    const clock = new TestClock();
    const app = testApp({ now: clock.now });
    const user = await enroll(app, key);
    const wrong = tokenFor(user.secret, clock.ms, 5);
    for (let i = 0; i < 7; i++) await app(`/validate?api_key=${key}&userid=${user.userId}&token=${wrong}`);
    const mine = async (type: string) => (await events(type)).filter((e) => JSON.parse(e.data).userid === user.userId);
    expect(await mine("user.created")).toEqual([]);
    expect(await mine("user.locked")).toEqual([]);
    // Disabled, the one subscriber of user.deleted hears nothing either.
    await post(`/admin/webhooks/${only.id}/disable`, []);
    expect(
      await env.DB.prepare("SELECT disabled_at FROM webhook_endpoints WHERE id = ?").bind(only.id).first("disabled_at"),
    ).not.toBeNull();
    await app(`/api.php?action=deletelocaluser&api_key=${key}&user=${encodeURIComponent(user.email)}`);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM users WHERE id = ?").bind(user.userId).first("n")).toBe(0);
    expect(await mine("user.deleted")).toEqual([]);
  });

  it("signs as Standard Webhooks: the standardwebhooks package verifies both signatures of a rotation", async () => {
    const secrets = [crypto.getRandomValues(new Uint8Array(24)), crypto.getRandomValues(new Uint8Array(24))];
    const body = eventBody({ type: "user.locked", at: Date.now(), data: '{"userid":1,"username":"a"}' });
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = await signatureHeader(secrets, "msg_x", timestamp, body);
    const headers = { "webhook-id": "msg_x", "webhook-timestamp": String(timestamp), "webhook-signature": signature };
    for (const secret of secrets) {
      expect(new Webhook(btoa(String.fromCharCode(...secret))).verify(body, headers)).toMatchObject({ type: "user.locked" });
    }
    expect(() => new Webhook(btoa("another secret of 24 b!")).verify(body, headers)).toThrow();
  });

  it("shows a dead-lettered event as failed, with its last status, and redelivers it", async () => {
    const { id } = await addEndpoint("http://localhost:9/dead", ["user.deleted"]);
    const eventId = `msg_dead${crypto.randomUUID().slice(0, 8)}`;
    await env.DB.batch([
      env.DB.prepare("INSERT INTO event_outbox (id, type, at, data) VALUES (?, 'user.deleted', ?, '{}')").bind(eventId, Date.now()),
      env.DB.prepare(
        "INSERT INTO webhook_deliveries (event_id, endpoint_id, status, attempts, last_status, updated_at) VALUES (?, ?, 'retrying', 6, 500, ?)",
      ).bind(eventId, id, Date.now()),
    ]);
    const acked: string[] = [];
    const message = {
      id: "1",
      timestamp: new Date(),
      attempts: 1,
      body: { event: eventId },
      ack: () => acked.push(eventId),
      retry: () => {},
    };
    await handleEventBatch(
      { queue: "totp-edge-events-dead", messages: [message], ackAll: () => message.ack(), retryAll: () => {} } as never,
      env,
    );
    expect(acked).toEqual([eventId]);
    const page = await (await call(`/admin/webhooks/${id}`, pageGet(admin))).text();
    expect(page).toMatch(new RegExp(`user.deleted.*${eventId}.*failed.*6.*HTTP 500`, "s"));
    expect(await (await post(`/admin/webhooks/${id}/redeliver`, [["event", eventId]])).text()).toContain(WEBHOOK_TEXTS.redelivered);
  });

  it("lists every event type of the catalogue in the console's form and in docs/events.md with its fields", async () => {
    const page = await (await call("/admin/webhooks", pageGet(admin))).text();
    for (const event of EVENT_CATALOGUE) {
      expect(page).toContain(`value="${event.type}"`);
      const row = eventsDoc.split("\n").find((line) => line.startsWith(`| \`${event.type}\` |`));
      expect(row, event.type).toBeDefined();
      for (const field of event.data) expect(row, `${event.type} documents ${field}`).toContain(`\`${field}\``);
    }
  });
});
