import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../src/crypto/api-keys";
import { KEY_LABEL_ERRORS, KEY_LABEL_MAX } from "../src/domain/console-keys";
import { KEY_PATHS, KEY_TEXTS } from "../src/routes/admin/keys";
import { testApp, uniqueEmail } from "./helpers";
import { adminSession, formPost, type PageSession, pageGet, TEST_ORIGIN } from "./support/pages";

const call = testApp();
let session: PageSession & { name: string };
beforeAll(async () => {
  session = await adminSession();
});

interface KeyRow {
  id: number;
  label: string;
  key_hash: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}
const keyRow = (id: number) => env.DB.prepare("SELECT * FROM api_keys WHERE id = ?").bind(id).first<KeyRow>();
const keyCount = async () => (await env.DB.prepare("SELECT count(*) AS n FROM api_keys").first<{ n: number }>())!.n;
const auditRows = (actor: string) =>
  env.DB.prepare("SELECT * FROM audit_log WHERE actor = ? ORDER BY id")
    .bind(actor)
    .all<{ action: string; target: string; outcome: string }>();
/** What a page POST may change, as text: the keys and this admin's audit entries. */
const snapshot = async (actor: string) =>
  JSON.stringify([(await env.DB.prepare("SELECT * FROM api_keys ORDER BY id").all()).results, (await auditRows(actor)).results]);

const escapeHtml = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/** Creates a key through the console; returns the key as the page showed it and its row. */
async function createThroughConsole(label: string, as = session) {
  const res = await call("/admin/keys", formPost(as, { label }));
  expect(res.status).toBe(200);
  const html = await res.text();
  expect(html).toContain(KEY_TEXTS.showOnce);
  const key = /<p class="secret">([A-Za-z0-9]+)<\/p>/.exec(html)?.[1];
  expect(key).toMatch(/^[A-Za-z0-9]{32}$/);
  const row = await env.DB.prepare("SELECT * FROM api_keys WHERE key_hash = ?")
    .bind(await hashApiKey(key!))
    .first<KeyRow>();
  expect(row?.label).toBe(label);
  expect(html).toContain(`Key ${row!.id} (${escapeHtml(label)})`);
  return { key: key!, row: row!, html };
}

const createUser = async (key: string) => {
  const res = await call(`/createuser?api_key=${encodeURIComponent(key)}&email=${encodeURIComponent(uniqueEmail("console"))}&format=1`);
  return (await res.json()) as { success: string; response: string };
};

describe("creating a key", () => {
  it("shows a generated key once; the key works on the API; the list never shows it again", async () => {
    const { key, row } = await createThroughConsole("wordpress");
    expect(row.key_hash).toBe(await hashApiKey(key));
    expect(row.revoked_at).toBeNull();
    expect(await createUser(key)).toMatchObject({ success: "true" });

    const list = await (await call("/admin/keys", pageGet(session))).text();
    expect(list).toContain("wordpress");
    expect(list).toContain(KEY_PATHS.confirmRevoke(row.id));
    expect(list).not.toContain(key);
    expect(list).not.toContain(row.key_hash);
  });

  it("records who made which key, with neither the key nor its hash", async () => {
    const maker = await adminSession();
    const { key, row } = await createThroughConsole("radius", maker);
    expect((await auditRows(maker.name)).results).toMatchObject([
      { action: "key.create", target: `key ${row.id} (radius)`, outcome: "ok" },
    ]);
    const all = JSON.stringify((await env.DB.prepare("SELECT * FROM audit_log").all()).results);
    expect(all).not.toContain(key);
    expect(all).not.toContain(row.key_hash);
  });

  it.each([
    ["too long", "x".repeat(KEY_LABEL_MAX + 1), KEY_LABEL_ERRORS.tooLong],
    ["a line break", "two\nlines", KEY_LABEL_ERRORS.control],
    ["a NUL", "nul\u0000", KEY_LABEL_ERRORS.control],
    ["a right-to-left override", "evil\u202Eyek", KEY_LABEL_ERRORS.control],
    ["empty", "   ", KEY_LABEL_ERRORS.empty],
  ])("refuses a label that is %s: the form again with the reason, nothing written", async (_, label, error) => {
    const before = await snapshot(session.name);
    const res = await call("/admin/keys", formPost(session, { label }));
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain(escapeHtml(error));
    expect(html).toContain('name="label"');
    expect(await snapshot(session.name)).toBe(before);
  });

  it("accepts a label of exactly the maximum length, trimmed", async () => {
    const label = "é".repeat(KEY_LABEL_MAX);
    const res = await call("/admin/keys", formPost(session, { label: `  ${label} ` }));
    expect(res.status).toBe(200);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM api_keys WHERE label = ?").bind(label).first("n")).toBe(1);
  });

  it("escapes a label on every page", async () => {
    const { row } = await createThroughConsole("<b>bold</b>");
    for (const path of ["/admin/keys", KEY_PATHS.confirmRevoke(row.id), "/admin/audit"]) {
      const html = await (await call(path, pageGet(session))).text();
      expect(html).toContain("&lt;b&gt;bold&lt;/b&gt;");
      expect(html).not.toContain("<b>bold</b>");
    }
  });
});

describe("last used", () => {
  it("is 'never' until the API accepts the key, then the minute of that use", async () => {
    const { key, row } = await createThroughConsole("last-used");
    const cell = async () => {
      const html = await (await call("/admin/keys", pageGet(session))).text();
      const tr = html.split("<tr>").find((part) => part.includes(`data-label="Key">Key ${row.id} (last-used)</td>`));
      return /data-label="Last used">(.*?)<\/td>/.exec(tr ?? "")?.[1];
    };
    expect(await cell()).toBe(KEY_TEXTS.neverUsed);
    const start = Math.floor(Date.now() / 1000);
    expect(await createUser(key)).toMatchObject({ success: "true" });
    const usedAt = (await keyRow(row.id))!.last_used_at!;
    expect(usedAt).toBeGreaterThanOrEqual(start - 1);
    const iso = new Date(usedAt * 1000).toISOString();
    expect(await cell()).toBe(`within 5 min of <time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC</time>`);
  });
});

describe("revoking a key", () => {
  it("asks first (GET changes nothing), then the API refuses the key at once", async () => {
    const { key, row } = await createThroughConsole("to-revoke");
    expect(await createUser(key)).toMatchObject({ success: "true" });

    const before = await snapshot(session.name);
    const confirm = await call(KEY_PATHS.confirmRevoke(row.id), pageGet(session));
    expect(confirm.status).toBe(200);
    const html = await confirm.text();
    expect(html).toContain(`action="${KEY_PATHS.revoke(row.id)}"`);
    expect(html).toContain(`name="csrf" value="${session.csrf}"`);
    expect(await snapshot(session.name)).toBe(before);

    const res = await call(KEY_PATHS.revoke(row.id), formPost(session, {}));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(KEY_TEXTS.revoked(`Key ${row.id} (to-revoke)`));
    expect((await keyRow(row.id))!.revoked_at).not.toBeNull();
    expect(await createUser(key)).toMatchObject({ response: "invalid api key", success: "false" });
  });

  it("is idempotent: a second revoke says so, keeps the date, and adds no audit entry", async () => {
    const revoker = await adminSession();
    const { row } = await createThroughConsole("twice", revoker);
    expect((await call(KEY_PATHS.revoke(row.id), formPost(revoker, {}))).status).toBe(200);
    const revokedAt = (await keyRow(row.id))!.revoked_at;

    const again = await call(KEY_PATHS.revoke(row.id), formPost(revoker, {}));
    expect(again.status).toBe(200);
    expect(await again.text()).toContain(KEY_TEXTS.alreadyRevoked(`Key ${row.id} (twice)`));
    expect((await keyRow(row.id))!.revoked_at).toBe(revokedAt);
    expect((await call(KEY_PATHS.confirmRevoke(row.id), pageGet(revoker))).status).toBe(200);
    expect((await auditRows(revoker.name)).results).toMatchObject([
      { action: "key.create", target: `key ${row.id} (twice)`, outcome: "ok" },
      { action: "key.revoke", target: `key ${row.id} (twice)`, outcome: "ok" },
    ]);
  });

  it("leaves one audit entry when two revokes of one key race", async () => {
    const racer = await adminSession();
    const { row } = await createThroughConsole("race", racer);
    const answers = await Promise.all([1, 2, 3].map(() => call(KEY_PATHS.revoke(row.id), formPost(racer, {}))));
    const texts = await Promise.all(answers.map((res) => res.text()));
    expect(texts.filter((text) => text.includes(KEY_TEXTS.revoked(`Key ${row.id} (race)`)))).toHaveLength(1);
    expect((await auditRows(racer.name)).results.filter((entry) => entry.action === "key.revoke")).toHaveLength(1);
  });

  it.each(["999999999", "0", "abc", "1e3"])("answers a 404 page for key %s, changing nothing", async (id) => {
    const before = await snapshot(session.name);
    const confirm = await call(`/admin/keys/${id}/confirm-revoke`, pageGet(session));
    expect(confirm.status).toBe(404);
    expect(await confirm.text()).toContain(KEY_TEXTS.notFound);
    const revoke = await call(`/admin/keys/${id}/revoke`, formPost(session, {}));
    expect(revoke.status).toBe(404);
    expect(await snapshot(session.name)).toBe(before);
  });
});

describe("refused forms change nothing", () => {
  let key: string;
  let id: number;
  beforeAll(async () => {
    ({
      key,
      row: { id },
    } = await createThroughConsole("guarded"));
  });

  const forged: Array<[string, () => RequestInit]> = [
    ["without the CSRF token", () => ({ ...formPost(session, {}), body: "label=forged" })],
    ["with another session's token", () => formPost({ ...session, csrf: "not-the-token" }, { label: "forged" })],
    [
      "from another site",
      () => {
        const init = formPost(session, { label: "forged" });
        return { ...init, headers: { ...(init.headers as Record<string, string>), Origin: "https://evil.example" } };
      },
    ],
  ];

  it.each(forged)("a POST %s is a 403", async (_, init) => {
    const before = await snapshot(session.name);
    const total = await keyCount();
    for (const path of ["/admin/keys", KEY_PATHS.revoke(id)]) expect((await call(path, init())).status).toBe(403);
    expect(await keyCount()).toBe(total);
    expect(await snapshot(session.name)).toBe(before);
    expect(await createUser(key)).toMatchObject({ success: "true" });
  });

  it("without a session, every page goes to the login and nothing is done", async () => {
    const before = await snapshot(session.name);
    const noCookie = {
      ...formPost(session, { label: "anonymous" }),
      headers: { Origin: TEST_ORIGIN, "Content-Type": "application/x-www-form-urlencoded" },
    };
    for (const res of [await call("/admin/keys"), await call("/admin/keys", noCookie), await call(KEY_PATHS.revoke(id), noCookie)]) {
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/admin/login");
    }
    expect(await snapshot(session.name)).toBe(before);
    expect((await keyRow(id))!.revoked_at).toBeNull();
  });
});
