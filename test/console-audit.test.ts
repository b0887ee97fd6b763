import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../src/crypto/api-keys";
import { AUDIT_CSV_HEADER } from "../src/domain/audit";
import { createApp } from "../src/index";
import { AUDIT_EXPORT_PATH, AUDIT_PAGE_SIZE, AUDIT_TEXTS, auditPagePath } from "../src/routes/admin/audit";
import { AUDIT_FILTER_TEXTS } from "../src/routes/admin/audit-filter";
import { KEY_PATHS } from "../src/routes/admin/keys";
import { countingD1 } from "./counting-d1";
import { enroll, newApiKey, testApp } from "./helpers";
import { enrolledAdmin, login } from "./support/admins";
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

/** Parses the CSV this Worker writes (RFC 4180: a cell quoted when it holds a comma or a quote, "" for a quote, CRLF line ends; no line breaks in these cells). */
function parseCsv(text: string): string[][] {
  return text
    .split("\r\n")
    .filter((line) => line !== "")
    .map((line) => {
      const cells: string[] = [];
      for (let rest = line; ; ) {
        const quoted = /^"((?:[^"]|"")*)"/.exec(rest);
        const cell = quoted ? quoted[0] : /^[^,]*/.exec(rest)![0];
        cells.push(quoted ? quoted[1]!.replaceAll('""', '"') : cell);
        rest = rest.slice(cell.length);
        if (!rest.startsWith(",")) return cells;
        rest = rest.slice(1);
      }
    });
}

const insertEntry = (fields: {
  at: number;
  actor: string;
  action: string;
  target: string;
  outcome: string;
  client?: string;
  reason?: string;
}) =>
  env.DB.prepare("INSERT INTO audit_log (at, actor, action, target, outcome, client, reason) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id")
    .bind(fields.at, fields.actor, fields.action, fields.target, fields.outcome, fields.client ?? null, fields.reason ?? null)
    .first<{ id: number }>();

describe("filters and the CSV export", () => {
  const day = Date.UTC(2021, 4, 3, 10);
  beforeAll(async () => {
    // An old day of its own, so that the time range filter has exact expectations.
    for (let i = 0; i < 60; i++) {
      await insertEntry({
        at: day + i * 1000,
        actor: i % 2 ? "ops-a" : "ops-b",
        action: "user.unlock",
        target: `user ${i} u${i}@x.test`,
        outcome: i % 3 ? "ok" : "refused",
      });
    }
    await insertEntry({ at: day + 86_400_000, actor: "ops-a", action: "user.delete", target: "user 99 next-day@x.test", outcome: "ok" });
    await insertEntry({
      at: day - 86_400_000,
      actor: "=cmd|' /C calc'!A0",
      action: "user.delete",
      target: "+SUM(1)",
      outcome: "refused",
      reason: "wrong password or code",
    });
  });
  const inDay = "from=2021-05-03&until=2021-05-03";

  it("narrows by who, action, target, outcome and day; pages keep the filters", async () => {
    const res = await call(`/admin/audit?actor=ops-a&action=user.unlock&outcome=ok&${inDay}`, pageGet(session));
    const rows = tableRows(await res.text());
    const expected = Array.from({ length: 60 }, (_, i) => i).filter((i) => i % 2 === 1 && i % 3 !== 0);
    expect(rows.map((row) => row[3])).toEqual(expected.reverse().map((i) => `user ${i} u${i}@x.test`));
    expect(rows.every((row) => row[1] === "ops-a" && row[4] === "ok")).toBe(true);
    // 60 entries that day: a second page, whose link carries the filters.
    const first = await (await call(`/admin/audit?${inDay}`, pageGet(session))).text();
    expect(tableRows(first)).toHaveLength(AUDIT_PAGE_SIZE);
    const next = /<a href="([^"]*)">Older entries<\/a>/.exec(first)![1]!.replaceAll("&amp;", "&");
    expect(next).toContain("from=2021-05-03");
    const second = tableRows(await (await call(next, pageGet(session))).text());
    expect(second).toHaveLength(10);
    expect(second.at(-1)![3]).toBe("user 0 u0@x.test");
    expect(tableRows(await (await call("/admin/audit?target=u17%40x", pageGet(session))).text()).map((row) => row[3])).toEqual([
      "user 17 u17@x.test",
    ]);
    // % and _ are literal in the target filter, not wildcards.
    expect(tableRows(await (await call("/admin/audit?target=%25", pageGet(session))).text())).toEqual([]);
  });

  it.each([
    ["action=nothing", AUDIT_FILTER_TEXTS.badAction],
    ["outcome=maybe", AUDIT_FILTER_TEXTS.badOutcome],
    ["from=2021-02-30", AUDIT_FILTER_TEXTS.badDate],
    ["until=yesterday", AUDIT_FILTER_TEXTS.badDate],
    ["from=2021-05-04&until=2021-05-03", AUDIT_FILTER_TEXTS.badRange],
    [`target=${"x".repeat(201)}`, AUDIT_FILTER_TEXTS.tooLong],
  ])("refuses %s with a 400 page naming the problem", async (query, text) => {
    const res = await call(`/admin/audit?${query}`, pageGet(session));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(escapeHtml(text).replaceAll("“", "“"));
    expect((await call(`${AUDIT_EXPORT_PATH}?${query}`, pageGet(session))).status).toBe(400);
  });

  it("exports the filtered trail as CSV, formula cells neutralised", async () => {
    const res = await call(`${AUDIT_EXPORT_PATH}?from=2021-05-02&until=2021-05-03`, pageGet(session));
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toContain("attachment");
    const [header, ...rows] = parseCsv(await res.text());
    expect(header).toEqual([...AUDIT_CSV_HEADER]);
    expect(rows).toHaveLength(61);
    // Newest first by entry number: the one inserted last comes first.
    expect(rows[1]!.slice(2, 6)).toEqual(["ops-a", "user.unlock", "user 59 u59@x.test", "ok"]);
    expect(rows[0]!.slice(1)).toEqual([
      new Date(day - 86_400_000).toISOString(),
      "'=cmd|' /C calc'!A0",
      "user.delete",
      "'+SUM(1)",
      "refused",
      "1",
      "",
      "wrong password or code",
    ]);
    expect((await call(AUDIT_EXPORT_PATH)).status).toBe(303);
  });
});

describe("entries from the API and from refusals", () => {
  let apiKey: string;
  let keyId: number;
  beforeAll(async () => {
    apiKey = await newApiKey("audited");
    keyId = (await env.DB.prepare("SELECT id FROM api_keys WHERE key_hash = ?")
      .bind(await hashApiKey(apiKey))
      .first<number>("id"))!;
  });
  const fromAddress = (address: string) => ({ headers: { "CF-Connecting-IP": address } });

  it("records a user deleted or given a password through api.php, with the key and the address", async () => {
    const user = await enroll(call, apiKey);
    const q = encodeURIComponent;
    const changed = await call(
      `/api.php?action=changelocaluserpassword&user=${q(user.email)}&localpassword=long-enough&api_key=${apiKey}`,
      fromAddress("198.51.100.7"),
    );
    expect(await changed.text()).toBe("Success: user password changed");
    const deleted = await call(`/api.php?action=deletelocaluser&user=${q(user.email)}&api_key=${apiKey}`, fromAddress("198.51.100.7"));
    expect(await deleted.text()).toBe("Success: user deleted");
    // Deleting again writes nothing: the entry is under the deletion's own condition.
    await call(`/api.php?action=deletelocaluser&user=${q(user.email)}&api_key=${apiKey}`, fromAddress("198.51.100.7"));
    const entries = (await allEntries()).filter((entry) => entry.target === `user ${user.userId} ${user.email}`);
    expect(entries.map(({ actor, action, outcome, client }) => ({ actor, action, outcome, client }))).toEqual([
      { actor: `api key ${keyId}`, action: "user.delete", outcome: "ok", client: "198.51.100.7" },
      { actor: `api key ${keyId}`, action: "user.set-password", outcome: "ok", client: "198.51.100.7" },
    ]);
  });

  it("counts refused API keys per address and window in one row each, written after the answers in one batch", async () => {
    // A fixed clock in the middle of a 10-minute window: the test never straddles two.
    const app = createApp({ now: () => Date.UTC(2026, 0, 1, 12, 5) });
    const counting = countingD1(env);
    const waits: Promise<unknown>[] = [];
    const ctx = {
      waitUntil: (work: Promise<unknown>) => waits.push(work),
      passThroughOnException() {},
      props: {},
    } as unknown as ExecutionContext;
    const wrong = (address: string, key: string) =>
      app.fetch(new Request(`https://totp.test/validate?api_key=${key}&userid=1&token=123456`, fromAddress(address)), counting.env, ctx);
    const answers = await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => wrong("203.0.113.9", `wrong-v4-${i}`)),
      ...Array.from({ length: 3 }, (_, i) => wrong("2001:db8:1:2::5", `wrong-v6-${i}`)),
    ]);
    for (const res of answers) expect(res.status).toBe(200);
    const beforeWrites = counting.roundTrips();
    await Promise.all(waits);
    // 15 refusals from two addresses: one write after the answers, not one each.
    expect(counting.roundTrips() - beforeWrites).toBe(1);
    const rows = await env.DB.prepare(
      "SELECT target, count, client, reason FROM audit_log WHERE action = 'api-key.refused' ORDER BY target",
    ).all();
    expect(rows.results).toEqual([
      { target: "from 2001:db8:1:2::/64", count: 3, client: "2001:db8:1:2::/64", reason: "API key not valid" },
      { target: "from 203.0.113.9", count: 12, client: "203.0.113.9", reason: "API key not valid" },
    ]);
    // More refusals in the same window add to the same row; a key refused moments ago (no query) counts too.
    await wrong("203.0.113.9", "wrong-v4-0");
    await Promise.all(waits);
    expect(await env.DB.prepare("SELECT count FROM audit_log WHERE aggregate LIKE 'key-refused 203.0.113.9 %'").first("count")).toBe(13);
  });

  it("gives the client address and the reason of a refused console login", async () => {
    const { call: app, name } = await enrolledAdmin();
    await login(app, name, "wrong password!", "000000", "192.0.2.44");
    await login(app, "nobody-here", "whatever", "000000", "192.0.2.44");
    const mine = (await allEntries()).find((entry) => entry.actor === name && entry.action === "login");
    expect(mine).toMatchObject({ outcome: "refused", client: "192.0.2.44", reason: "wrong password or code" });
    const unknown = (await allEntries()).find((entry) => entry.target === "from 192.0.2.44");
    expect(unknown).toMatchObject({ actor: "-", outcome: "refused", client: "192.0.2.44", reason: "no admin by that name" });
  });
});
