import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../src/index";
import { enroll, newApiKey, TestClock, testApp, tokenFor } from "./helpers";
import { adminSession, pageGet } from "./support/pages";

let apiKey: string;
beforeAll(async () => {
  apiKey = await newApiKey();
});

const HOUR = 3_600_000;
/** An hour of its own for each test, years from any other test's clock: its counts are its own. */
const ownHour = () => Date.UTC(2031, 0, 1) + Math.floor(Math.random() * 50_000) * HOUR + 5 * 60_000;

async function countsOf(hour: number) {
  const rows = await env.DB.prepare("SELECT outcome, count FROM validation_counts WHERE hour = ? ORDER BY outcome")
    .bind(hour)
    .all<{ outcome: string; count: number }>();
  return Object.fromEntries(rows.results.map((r) => [r.outcome, r.count]));
}

describe("the overview", () => {
  it("counts validate's answers by hour and outcome in validate's own batches: valid, not valid, locked, replay", async () => {
    const clock = new TestClock(ownHour());
    const call = testApp({ now: clock.now });
    const user = await enroll(call, apiKey);
    const validate = async (token: string) =>
      (await call(`/validate?api_key=${apiKey}&userid=${user.userId}&token=${token}&format=1`)).json();
    const good = tokenFor(user.secret, clock.ms);
    const wrong = good === "000000" ? "111111" : "000000";
    await validate(good);
    await validate(good); // the same code again: a replay
    for (let i = 0; i < 5; i++) await validate(wrong);
    const locked = (await validate(wrong)) as { code: string };
    expect(String(locked.code)).toBe("6");
    expect(await countsOf(Math.floor(clock.ms / HOUR))).toEqual({ valid: 1, replay: 1, invalid: 5, locked: 1 });

    // An hour later, the chart's last hour holds the next answers and the one before keeps its own.
    clock.advance(3600);
    const admin = await adminSession(clock.ms);
    await env.DB.prepare("UPDATE users SET locked_until = 0, failed_attempts = 0 WHERE id = ?").bind(user.userId).run();
    await validate(tokenFor(user.secret, clock.ms));
    const html = await (await call("/admin", pageGet(admin))).text();
    expect(html).toContain("<h1>Overview</h1>");
    expect(html).toMatch(/<svg viewBox="0 0 960 220" role="img" aria-label="Validations per hour"/);
    const hourRow = (start: string) =>
      new RegExp(`<td data-label="Start">${start}</td>((?:<td data-label="[^"]+">\\d+</td>){4})`).exec(html)?.[1]?.match(/\d+(?=<)/g);
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");
    const thisHour = Math.floor(clock.ms / HOUR) * HOUR;
    expect(hourRow(iso(thisHour - HOUR))).toEqual(["1", "5", "1", "1"]);
    expect(hourRow(iso(thisHour))).toEqual(["1", "0", "0", "0"]);
    // The day's row adds both hours (the two hours may straddle midnight: then each day has its own).
    const day = iso(thisHour).slice(0, 10);
    if (day === iso(thisHour - HOUR).slice(0, 10)) expect(hourRow(day)).toEqual(["2", "5", "1", "1"]);
  });

  it("shows the exact totals of the users table", async () => {
    const clock = new TestClock(ownHour());
    const call = testApp({ now: clock.now });
    const admin = await adminSession(clock.ms);
    await env.DB.prepare(
      "INSERT INTO users (username, username_key, secret_ciphertext, secret_key_id, imported_at, locked_until, portal_locked_until) VALUES (?1, ?1, 'x.x', 't1', 1, ?2, ?2)",
    )
      .bind(`overview-${crypto.randomUUID()}`, clock.ms + 60_000)
      .run();
    const html = await (await call("/admin", pageGet(admin))).text();
    const shown = (name: string) =>
      Number(new RegExp(`<strong data-total="${name}">([\\d,]+)</strong>`).exec(html)?.[1]?.replaceAll(",", ""));
    const expected = (await env.DB.prepare(
      `SELECT count(*) AS users, count(confirmed_at) AS confirmed, count(imported_at) AS imported,
       sum(locked_until > ?1) AS codes, sum(portal_locked_until > ?1) AS portal FROM users`,
    )
      .bind(clock.ms)
      .first<Record<string, number>>())!;
    expect(shown("Users")).toBe(expected.users);
    expect(shown("Confirmed")).toBe(expected.confirmed);
    expect(shown("Not yet confirmed")).toBe(expected.users! - expected.confirmed!);
    expect(shown("Imported")).toBe(expected.imported);
    expect(shown("Codes locked now")).toBe(expected.codes);
    expect(shown("Portal locked now")).toBe(expected.portal);
    expect(expected.imported).toBeGreaterThan(0);
  });
});

describe("retention of the counts", () => {
  it("a scheduled run deletes counts of hours more than 100 days old and keeps the rest", async () => {
    const now = ownHour();
    const hour = Math.floor(now / HOUR);
    const insert = (h: number) =>
      env.DB.prepare("INSERT INTO validation_counts (hour, outcome, count) VALUES (?, 'valid', 7)").bind(h).run();
    await insert(hour - 100 * 24 - 1);
    await insert(hour - 100 * 24 + 1);
    await worker.scheduled({ scheduledTime: now, cron: "17 * * * *", noRetry() {} }, env);
    const left = await env.DB.prepare("SELECT hour FROM validation_counts WHERE hour BETWEEN ? AND ?")
      .bind(hour - 100 * 24 - 1, hour - 100 * 24 + 1)
      .all<{ hour: number }>();
    expect(left.results.map((r) => r.hour)).toEqual([hour - 100 * 24 + 1]);
  });
});
