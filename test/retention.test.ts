import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PRUNE_BATCH } from "../src/domain/retention";
import { SESSION_TIMES } from "../src/domain/sessions";
import worker, { scheduled } from "../src/index";

afterEach(() => vi.restoreAllMocks());

const NOW = Date.UTC(2027, 5, 1, 12, 17);
const DAY = 86_400_000;
const tag = () => crypto.randomUUID().slice(0, 8);

async function run(sql: string, ...values: unknown[]) {
  return env.DB.prepare(sql)
    .bind(...values)
    .run();
}
const countWhere = async (sql: string, ...values: unknown[]) =>
  (await env.DB.prepare(`SELECT count(*) AS n FROM ${sql}`)
    .bind(...values)
    .first<number>("n"))!;

async function session(t: string, name: string, createdAt: number, seenAt: number) {
  await run(
    "INSERT INTO sessions (id_hash, realm, subject_id, csrf_token, created_at, seen_at) VALUES (?, 'admin', 1, 'x', ?, ?)",
    `${t}-${name}`,
    createdAt,
    seenAt,
  );
}

const fire = (scheduledTime: number, vars: Record<string, string> = {}) =>
  worker.scheduled({ scheduledTime, cron: "17 * * * *", noRetry() {} }, { ...env, ...vars });

describe("retention: the scheduled handler (Cron Trigger) prunes what no request can use", () => {
  it("removes expired sessions, expired enrolment links, old audit rows and quiet strangers' login counts, and keeps every live one", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const t = tag();
    await session(t, "idle", NOW - 60 * 60_000, NOW - SESSION_TIMES.idleMs - 1);
    await session(t, "too-old", NOW - SESSION_TIMES.absoluteMs - 1, NOW - 1000);
    await session(t, "live", NOW - 60 * 60_000, NOW - 60_000);
    await run("INSERT INTO admins (name, enrol_token_hash, enrol_expires_at) VALUES (?, ?, ?)", `${t}-expired`, `${t}-h1`, NOW - 1);
    await run("INSERT INTO admins (name, enrol_token_hash, enrol_expires_at) VALUES (?, ?, ?)", `${t}-pending`, `${t}-h2`, NOW + DAY);
    for (const [age, label] of [
      [401 * DAY, "old"],
      [400 * DAY + 1, "just-old"],
      [399 * DAY, "kept"],
      [0, "new"],
    ] as const) {
      await run(
        "INSERT INTO audit_log (at, actor, action, target, outcome) VALUES (?, 'cli', 'test', ?, 'ok')",
        NOW - age,
        `${t}-${label}`,
      );
    }

    const subject = 900_000 + Math.floor(Math.random() * 99_999);
    for (const [client, lastFailure, lockedUntil, trusted] of [
      ["quiet", NOW - DAY - 1, 0, null],
      ["recent", NOW - DAY + 60_000, 0, null],
      ["still-locked", NOW - DAY - 1, NOW + 60_000, null],
      ["trusted", NOW - 30 * DAY, 0, NOW - 30 * DAY],
    ] as const) {
      await run(
        "INSERT INTO login_clients (realm, subject_id, client, failed_attempts, locked_until, last_failure_at, trusted_at) VALUES ('portal', ?, ?, 1, ?, ?, ?)",
        subject,
        `${t}-${client}`,
        lockedUntil,
        lastFailure,
        trusted,
      );
    }

    for (const [id, dispatched, at] of [
      ["sent-old", NOW - 31 * DAY, NOW - 31 * DAY],
      ["unsent-old", null, NOW - 31 * DAY],
      ["sent-recent", NOW - DAY, NOW - DAY],
    ] as const) {
      await run(
        "INSERT INTO event_outbox (id, type, at, data, dispatched_at) VALUES (?, 'user.deleted', ?, '{}', ?)",
        `${t}-${id}`,
        at,
        dispatched,
      );
      await run(
        "INSERT INTO webhook_deliveries (event_id, endpoint_id, status, attempts, updated_at) VALUES (?, 'ep', ?, 1, ?)",
        `${t}-${id}`,
        dispatched === null ? "retrying" : "delivered",
        at,
      );
    }

    await scheduled({ scheduledTime: NOW, cron: "17 * * * *" }, env);

    const events = await env.DB.prepare("SELECT id FROM event_outbox WHERE id LIKE ? ORDER BY id").bind(`${t}-%`).all();
    expect(events.results.map((row) => row.id)).toEqual([`${t}-sent-recent`, `${t}-unsent-old`]);
    const deliveries = await env.DB.prepare("SELECT event_id FROM webhook_deliveries WHERE event_id LIKE ? ORDER BY event_id")
      .bind(`${t}-%`)
      .all();
    expect(deliveries.results.map((row) => row.event_id)).toEqual([`${t}-sent-recent`, `${t}-unsent-old`]);

    const clients = await env.DB.prepare("SELECT client FROM login_clients WHERE subject_id = ? ORDER BY client").bind(subject).all();
    expect(clients.results.map((row) => row.client)).toEqual([`${t}-recent`, `${t}-still-locked`, `${t}-trusted`]);

    expect(await countWhere("sessions WHERE id_hash LIKE ?", `${t}-%`)).toBe(1);
    expect(await countWhere("sessions WHERE id_hash = ?", `${t}-live`)).toBe(1);
    const links = await env.DB.prepare("SELECT name, enrol_token_hash AS h FROM admins WHERE name LIKE ? ORDER BY name")
      .bind(`${t}-%`)
      .all();
    expect(links.results).toEqual([
      { name: `${t}-expired`, h: null },
      { name: `${t}-pending`, h: `${t}-h2` },
    ]);
    const audit = await env.DB.prepare("SELECT target FROM audit_log WHERE target LIKE ? ORDER BY at").bind(`${t}-%`).all();
    expect(audit.results.map((row) => row.target)).toEqual([`${t}-kept`, `${t}-new`]);
  });

  it("AUDIT_RETENTION_DAYS sets the audit cut-off; the default export has the handler (wrangler calls it)", async () => {
    const logs: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void logs.push(line));
    const t = tag();
    const later = NOW + 1000 * DAY;
    await run("INSERT INTO audit_log (at, actor, action, target, outcome) VALUES (?, 'cli', 'test', ?, 'ok')", later - 31 * DAY, `${t}-a`);
    await run("INSERT INTO audit_log (at, actor, action, target, outcome) VALUES (?, 'cli', 'test', ?, 'ok')", later - 29 * DAY, `${t}-b`);
    await fire(later, { AUDIT_RETENTION_DAYS: "30" });
    expect((await env.DB.prepare("SELECT target FROM audit_log WHERE target LIKE ?").bind(`${t}-%`).all()).results).toEqual([
      { target: `${t}-b` },
    ]);
    expect(logs.map((line) => JSON.parse(line) as Record<string, unknown>)).toContainEqual(
      expect.objectContaining({ level: "info", event: "pruned", cron: "17 * * * *", auditRows: expect.any(Number) }),
    );
  });

  it(`deletes at most ${PRUNE_BATCH.toLocaleString("en")} rows of a kind per run, oldest first`, async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const t = tag();
    const far = NOW + 3000 * DAY;
    const rows = PRUNE_BATCH + 5;
    // One statement: D1 takes a recursive CTE, so the backlog costs one round trip.
    await run(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO audit_log (at, actor, action, target, outcome) SELECT ? + i, 'cli', 'flood', ? || i, 'ok' FROM n`,
      rows,
      far - 500 * DAY,
      `${t}-`,
    );
    // Rows of the earlier tests are older still (smaller rowids): they go first.
    const old = await countWhere("audit_log WHERE at < ?", far - 400 * DAY);
    expect(old).toBeGreaterThan(PRUNE_BATCH);
    await fire(far);
    expect(await countWhere("audit_log WHERE at < ?", far - 400 * DAY)).toBe(old - PRUNE_BATCH);
    expect(await countWhere("audit_log WHERE target LIKE ?", `${t}-%`)).toBeGreaterThanOrEqual(5);
    await fire(far + 3_600_000);
    expect(await countWhere("audit_log WHERE target LIKE ?", `${t}-%`)).toBe(0);
  }, 60_000);

  it("a bad setting: nothing is deleted, the run fails and the log names the setting", async () => {
    const errors: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: string) => void errors.push(line));
    const t = tag();
    await run("INSERT INTO audit_log (at, actor, action, target, outcome) VALUES (?, 'cli', 'test', ?, 'ok')", 0, `${t}-ancient`);
    await expect(fire(NOW, { AUDIT_RETENTION_DAYS: "0" })).rejects.toThrow("AUDIT_RETENTION_DAYS must be an integer from 1 to 36500");
    expect(await countWhere("audit_log WHERE target = ?", `${t}-ancient`)).toBe(1);
    expect(errors.join("\n")).toContain('"event":"misconfigured"');
  });
});
