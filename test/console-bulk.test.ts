import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "../src/crypto/passwords";
import { TestClock, testApp } from "./helpers";
import { adminSession, type PageSession, pageGet, TEST_ORIGIN } from "./support/pages";
import { subscribeToEverything } from "./support/subscriber";

beforeAll(subscribeToEverything);

async function setup() {
  const clock = new TestClock();
  const call = testApp({ now: clock.now });
  const admin = await adminSession(clock.ms);
  /** A form post with repeated names (the list's checkboxes). */
  const post = (path: string, fields: [string, string][], session: PageSession = admin) =>
    call(path, {
      method: "POST",
      headers: { Cookie: session.cookie, Origin: TEST_ORIGIN, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams([["csrf", session.csrf], ...fields]).toString(),
    });
  const upload = (csv: string, csrf = admin.csrf) => {
    const form = new FormData();
    form.set("csrf", csrf);
    form.set("file", new Blob([csv], { type: "text/csv" }), "users.csv");
    return call("/admin/users/onboard", { method: "POST", headers: { Cookie: admin.cookie, Origin: TEST_ORIGIN }, body: form });
  };
  return { clock, call, admin, post, upload };
}

const tag = () => `b${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;

async function seed(names: string[], lockedUntil = 0): Promise<number[]> {
  const results = await env.DB.batch<{ id: number }>(
    names.map((name) =>
      env.DB.prepare(
        "INSERT INTO users (username, username_key, secret_ciphertext, secret_key_id, created_at, locked_until, failed_attempts) VALUES (?1, ?1, ?2, 't1', 1767225600, ?3, 5) RETURNING id",
      ).bind(name, `c.${name}`, lockedUntil),
    ),
  );
  return results.map((r) => r.results[0]!.id);
}

const auditOf = async (id: number) =>
  (await env.DB.prepare("SELECT action, outcome FROM audit_log WHERE target LIKE ? ORDER BY id").bind(`user ${id} %`).all()).results;

describe("bulk actions on the list's selection", () => {
  it("unlock: one confirmation page that changes nothing, then each user unlocked, audited and announced", async () => {
    const { clock, post } = await setup();
    const t = tag();
    const ids = await seed([`${t}a`, `${t}b`, `${t}c`], clock.ms + 600_000);
    const confirm = await post("/admin/users/bulk", [["action", "unlock"], ...ids.map((id): [string, string] => ["id", String(id)])]);
    const html = await confirm.text();
    expect(confirm.status).toBe(200);
    expect(html).toContain("Unlock: 3 users");
    expect(html).toContain("Yes, unlock (3)");
    const lockedNow = async () =>
      (await env.DB.prepare(`SELECT count(*) AS n FROM users WHERE id IN (${ids.join(",")}) AND locked_until > ?`)
        .bind(clock.ms)
        .first<number>("n"))!;
    expect(await lockedNow()).toBe(3);
    const fields = [...html.matchAll(/<input type="hidden" name="(id|v\d+|n\d+|action)" value="([^"]*)"\/>/g)].map(
      (m): [string, string] => [m[1]!, m[2]!],
    );
    const done = await post("/admin/users/bulk/do", fields);
    expect(await done.text()).toContain("Unlock: done for 3 of 3");
    expect(await lockedNow()).toBe(0);
    for (const id of ids) expect(await auditOf(id)).toEqual([{ action: "user.unlock", outcome: "ok" }]);
    const events = await env.DB.prepare(
      "SELECT count(*) AS n FROM event_outbox WHERE type = 'user.unlocked' AND json_extract(data, '$.userid') IN (?, ?, ?)",
    )
      .bind(...ids)
      .first<number>("n");
    expect(events).toBe(3);
  });

  it("delete refuses a user whose secret changed since the confirmation and deletes the others", async () => {
    const { post } = await setup();
    const t = tag();
    const ids = await seed([`${t}a`, `${t}b`]);
    const html = await (
      await post("/admin/users/bulk", [["action", "delete"], ...ids.map((id): [string, string] => ["id", String(id)])])
    ).text();
    const fields = [...html.matchAll(/<input type="hidden" name="(id|v\d+|n\d+|action)" value="([^"]*)"\/>/g)].map(
      (m): [string, string] => [m[1]!, m[2]!],
    );
    await env.DB.prepare("UPDATE users SET secret_ciphertext = 'changed' WHERE id = ?").bind(ids[1]).run();
    const result = await (await post("/admin/users/bulk/do", fields)).text();
    expect(result).toContain("Delete the user: done for 1 of 2");
    expect(result).toContain("the secret changed since you confirmed: nothing done");
    const left = await env.DB.prepare(`SELECT id FROM users WHERE id IN (${ids.join(",")})`).all<{ id: number }>();
    expect(left.results.map((r) => r.id)).toEqual([ids[1]]);
    expect(await auditOf(ids[1]!)).toEqual([{ action: "user.delete", outcome: "refused" }]);
  });

  it("nothing selected, or a post without the CSRF token, changes nothing", async () => {
    const { admin, post } = await setup();
    expect((await post("/admin/users/bulk", [["action", "unlock"]])).status).toBe(400);
    const [id] = await seed([`${tag()}x`], Date.now() + 600_000);
    const forged = await post(
      "/admin/users/bulk/do",
      [
        ["action", "unlock"],
        ["id", String(id)],
      ],
      { ...admin, csrf: "wrong" },
    );
    expect(forged.status).toBe(403);
    expect(await auditOf(id!)).toEqual([]);
  });
});

describe("portal passwords from a CSV", () => {
  it("lists every row before writing anything, then sets given and generated passwords, the generated shown once", async () => {
    const { post, upload } = await setup();
    const t = tag();
    const ids = await seed([`${t}one`, `${t}two`, `${t}three`]);
    const csv = `username,password\r\n${t}one\r\n"${t}two",given-secret-9\r\n${t}nobody\r\n${t}three,short\r\n${t}one\r\n`;
    const confirm = await upload(csv);
    const html = await confirm.text();
    expect(confirm.status).toBe(200);
    expect(html).toContain("Set portal passwords: 2 of 5 rows");
    expect(html).toContain("refused: no such user");
    expect(html).toContain("refused: password too short");
    expect(html).toContain("refused: named on an earlier line");
    expect(html).not.toContain("given-secret-9</td>");
    const hashes = async () =>
      (
        await env.DB.prepare(`SELECT id, password_hash AS h FROM users WHERE id IN (${ids.join(",")}) ORDER BY id`).all<{
          id: number;
          h: string | null;
        }>()
      ).results;
    expect((await hashes()).every((r) => r.h === null)).toBe(true);
    const hidden = /<input type="hidden" name="csv" value="([^"]*)"\/>/
      .exec(html)![1]!
      .replaceAll("&quot;", '"')
      .replaceAll("&#39;", "'")
      .replaceAll("&amp;", "&");
    const done = await (await post("/admin/users/onboard/do", [["csv", hidden]])).text();
    expect(done).toContain("Portal passwords set for 2 users");
    const generated = /<td data-label="Password" class="secret">([a-z2-9]{20})<\/td>/.exec(done)![1]!;
    const [one, two, three] = await hashes();
    expect(await verifyPassword(generated, one!.h!)).toBe(true);
    expect(await verifyPassword("given-secret-9", two!.h!)).toBe(true);
    expect(three!.h).toBeNull();
    // The download holds the generated password only, never a given one.
    const download = decodeURIComponent(/href="data:text\/csv;charset=utf-8,([^"]*)"/.exec(done)![1]!);
    expect(download).toBe(`userid,username,password\r\n${ids[0]},${t}one,${generated}\r\n`);
    expect(await auditOf(ids[0]!)).toEqual([{ action: "user.set-password", outcome: "ok" }]);
  });

  it("refuses a file over the bounds, or not CSV, with nothing written", async () => {
    const { upload } = await setup();
    const tooMany = await upload(Array.from({ length: 101 }, (_, i) => `x${i}`).join("\n"));
    expect([tooMany.status, (await tooMany.text()).includes("at most 100 at a time")]).toEqual([400, true]);
    expect((await upload(`"unclosed\n`)).status).toBe(400);
    expect((await upload("x".repeat(70 * 1024))).status).toBe(413);
    expect((await upload("a\n", "wrong")).status).toBe(403);
  });
});

describe("the users CSV", () => {
  it("streams every user by userid, with no secret, and neutralises cells a spreadsheet would evaluate", async () => {
    const { call, admin } = await setup();
    const t = tag();
    const [evil] = await seed([`=HYPERLINK("x")${t}`]);
    const [minus] = await seed([`-2+3${t}`]);
    // More than two of the stream's pages (1,000 users each).
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)
       INSERT INTO users (username, username_key, secret_ciphertext, secret_key_id) SELECT ?1 || i, ?1 || i, 'x.x', 't1' FROM n`,
    )
      .bind(`${t}-many-`)
      .run();
    const res = await call("/admin/users/export.csv", pageGet(admin));
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="users-\d{4}-\d\d-\d\d\.csv"$/);
    const text = await res.text();
    const lines = text.split("\r\n");
    expect(lines[0]).toBe("userid,username,created,confirmed,last success,locked,token type");
    expect(text).toContain(`${evil},"'=HYPERLINK(""x"")${t}",2026-01-01 00:00:00 UTC,,,no,app\r\n`);
    expect(text).toContain(`${minus},'-2+3${t},`);
    expect(text).not.toContain("c.=HYPERLINK");
    const total = (await env.DB.prepare("SELECT count(*) AS n FROM users").first<number>("n"))!;
    expect(lines.length - 2).toBe(total);
    expect(lines.filter((line) => line.includes(`${t}-many-`))).toHaveLength(2500);
    const userids = lines.slice(1, -1).map((line) => Number(line.split(",")[0]));
    expect(userids).toEqual([...userids].sort((a, b) => a - b));
  });
});
