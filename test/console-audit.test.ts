import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../src/crypto/api-keys";
import { AUDIT_PAGE_SIZE, AUDIT_TEXTS, auditPagePath } from "../src/routes/admin/audit";
import { KEY_PATHS } from "../src/routes/admin/keys";
import { testApp } from "./helpers";
import { adminSession, formPost, type PageSession, pageGet } from "./support/pages";

const call = testApp();
let session: PageSession & { name: string };
/** Every key made here and its hash: neither may appear on any page of the trail. */
const secrets: string[] = [];

interface AuditDbRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  outcome: string;
  client: string | null;
  reason: string | null;
}
const allEntries = async () => (await env.DB.prepare("SELECT * FROM audit_log ORDER BY id DESC").all<AuditDbRow>()).results;
const escapeHtml = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/** The rows of a trail page as [when, who, action, target, outcome, address, reason], in page order. */
function tableRows(html: string): string[][] {
  const row =
    /<tr><td data-label="When"><time datetime="([^"]*)">[^<]* UTC<\/time><\/td><td data-label="Who">(.*?)<\/td><td data-label="Action">(.*?)<\/td><td data-label="Target">(.*?)<\/td><td data-label="Outcome">(.*?)<\/td><td data-label="Address">(.*?)<\/td><td data-label="Reason">(.*?)<\/td><\/tr>/g;
  return [...html.matchAll(row)].map((match) => match.slice(1));
}
const expectedRow = (entry: AuditDbRow) => [
  new Date(entry.at).toISOString(),
  escapeHtml(entry.actor),
  escapeHtml(entry.action),
  entry.target === null ? '<span class="muted">none</span>' : escapeHtml(entry.target),
  entry.outcome,
  entry.client === null ? '<span class="muted">none</span>' : escapeHtml(entry.client),
  entry.reason === null ? '<span class="muted">none</span>' : escapeHtml(entry.reason),
];
const olderLink = (html: string) => /<a href="\/admin\/audit\?before=([0-9]+)">Older entries<\/a>/.exec(html)?.[1];

beforeAll(async () => {
  session = await adminSession();
  // More than a page of real entries, made through the console: 40 keys created, 25 revoked.
  for (let i = 1; i <= 40; i++) {
    const html = await (await call("/admin/keys", formPost(session, { label: `trail-${i}` }))).text();
    const key = /<p class="secret">([A-Za-z0-9]{32})<\/p>/.exec(html)![1]!;
    secrets.push(key, await hashApiKey(key));
  }
  const ids = (await env.DB.prepare("SELECT id FROM api_keys WHERE label LIKE 'trail-%' ORDER BY id").all<{ id: number }>()).results;
  for (const { id } of ids.slice(0, 25)) expect((await call(KEY_PATHS.revoke(id), formPost(session, {}))).status).toBe(200);
});

describe("the audit trail page", () => {
  it("shows every entry once, newest first, 50 a page, through 'Older entries' links", async () => {
    const entries = await allEntries();
    expect(entries.length).toBeGreaterThan(AUDIT_PAGE_SIZE);
    const pages: string[] = [];
    let path: string = "/admin/audit";
    for (;;) {
      const res = await call(path, pageGet(session));
      expect(res.status).toBe(200);
      const html = await res.text();
      pages.push(html);
      const before = olderLink(html);
      if (before === undefined) break;
      expect(pages.length).toBeLessThan(10);
      path = auditPagePath(Number(before));
    }
    expect(pages).toHaveLength(Math.ceil(entries.length / AUDIT_PAGE_SIZE));
    pages.forEach((html, index) => {
      const page = entries.slice(index * AUDIT_PAGE_SIZE, (index + 1) * AUDIT_PAGE_SIZE);
      expect(tableRows(html)).toEqual(page.map(expectedRow));
      if (index < pages.length - 1) expect(olderLink(html)).toBe(String(page.at(-1)!.id));
      expect(html.includes('<a href="/admin/audit">Newest entries</a>')).toBe(index > 0);
      for (const secret of secrets) expect(html).not.toContain(secret);
    });
  });

  it("names the admin, the action and the key of each change", async () => {
    const html = await (await call("/admin/audit", pageGet(session))).text();
    const mine = tableRows(html).filter(([, who]) => who === session.name);
    expect(mine.length).toBeGreaterThan(0);
    for (const [, , action, target, outcome] of mine) {
      expect(["key.create", "key.revoke"]).toContain(action);
      expect(target).toMatch(/^key [0-9]+ \(trail-[0-9]+\)$/);
      expect(outcome).toBe("ok");
    }
  });

  it("keeps no key or hash anywhere in the table", async () => {
    const all = JSON.stringify(await allEntries());
    for (const secret of secrets) expect(all).not.toContain(secret);
  });

  it("an empty `before` is the first page; a 'before' past the newest entry shows from the newest", async () => {
    const first = tableRows(await (await call("/admin/audit", pageGet(session))).text());
    expect(tableRows(await (await call("/admin/audit?before=", pageGet(session))).text())).toEqual(first);
    expect(tableRows(await (await call(auditPagePath(999_999_999_999_999), pageGet(session))).text())).toEqual(first);
  });

  it("says so past the oldest entry", async () => {
    const res = await call(auditPagePath(1), pageGet(session));
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(tableRows(html)).toEqual([]);
    expect(html).toContain(AUDIT_TEXTS.noOlder);
    expect(olderLink(html)).toBeUndefined();
  });

  it.each(["abc", "-1", "0", "1.5", "1e3", "0x10", "99999999999999999999", "%00", "1%0A"])(
    "answers before=%s with a 400 page",
    async (before) => {
      const res = await call(`/admin/audit?before=${before}`, pageGet(session));
      expect(res.status).toBe(400);
      expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
      expect(await res.text()).toContain(escapeHtml(AUDIT_TEXTS.badBefore));
    },
  );

  it("changes nothing when read, and is only for admins", async () => {
    const before = await allEntries();
    await call("/admin/audit", pageGet(session));
    await call(auditPagePath(before[10]!.id), pageGet(session));
    expect(await allEntries()).toEqual(before);
    const anonymous = await call("/admin/audit");
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe("/admin/login");
  });
});
