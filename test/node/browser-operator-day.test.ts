// An operator's day in the console, in chromium against one `wrangler dev` (issue 25): 10,000 users
// seeded, validations made through the API, then the overview's exact totals and chart, a substring
// and a userid search, 50 users onboarded from one CSV (one of them enrols in the portal with the
// generated password), a bulk unlock and the users CSV, at 1280 and 390 px.
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import * as OTPAuth from "otpauth";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execute, sqlString } from "../../scripts/lib/d1";
import { startLocalServer, type LocalServer } from "../../scripts/lib/local-server";
import { insertImportedUsersSql } from "../../src/db/imported-users";
import { parseCsvWithPython } from "./support/csv";
import { checkNoOverflow, launchChromium, openPage, screenshotFolder } from "./support/browser";

const API_KEY = `operatorDay${Date.now()}KeyForTests`;
const PASSWORD = "an operator's passphrase";
const SEEDED = 10_000;
const IMPORTED = 200;
const ONBOARDED = 50;
const run = promisify(execFile);
const shots = screenshotFolder("operator-day");

let server: LocalServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

const totp = (secret: string) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
const sql = <Row extends Record<string, string | number | null>>(text: string) => execute<Row>(text, { persistTo: server.persistTo });

async function api(pathAndQuery: string): Promise<Record<string, unknown>> {
  // A new connection each time: wrangler closes kept-alive connections between the story's steps.
  const call = () => fetch(`${server.url}${pathAndQuery}&format=1`, { headers: { Connection: "close", "X-API-Key": API_KEY } });
  // Once more when the dev server dropped the connection before answering (it does so after a `wrangler d1 execute`).
  const res = await call().catch((error: unknown) => {
    if ((error as { cause?: { code?: string } }).cause?.code !== "UND_ERR_SOCKET") throw error;
    return call();
  });
  return (await res.json()) as Record<string, unknown>;
}

/** Every page of the story: the stylesheet applied (only its CSP hash allows it), nothing wider than the window, at both widths. */
async function checkBothWidths(name: string): Promise<void> {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    expect(await page.evaluate<string>("getComputedStyle(document.body).maxWidth")).toBe("1024px");
    await checkNoOverflow(page, path.join(shots, `${name}-${width}.png`));
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function downloadFrom(target: Page, linkName: string | RegExp): Promise<string> {
  const [download] = await Promise.all([target.waitForEvent("download"), target.getByRole("link", { name: linkName }).click()]);
  return readFileSync((await download.path())!, "utf8");
}

beforeAll(async () => {
  // Locks long enough to outlast the story: the bulk unlock at its end finds the user still locked.
  server = await startLocalServer({ apiKeys: { operator: API_KEY }, vars: { LOCKOUT_BASE_SECONDS: "3600", LOCKOUT_MAX_SECONDS: "7200" } });
  browser = await launchChromium();
  context = await browser.newContext({ acceptDownloads: true });
  page = await openPage(browser, 1280, problems, context);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("an operator's day in chromium", () => {
  const tag = Date.now().toString(36);
  const onboarded = Array.from({ length: ONBOARDED }, (_, i) => `onboard-${String(i).padStart(2, "0")}-${tag}@example.com`);
  const users: Array<{ userid: number; hash: string }> = [];

  it("seeds 10,000 users (some as the import writes them) and 50 through the API, and validates codes", async () => {
    sql(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${SEEDED - IMPORTED})
       INSERT INTO users (username, username_key, email, secret_ciphertext, secret_key_id, confirmed_at)
       SELECT printf('staff%05d@corp.example', i), printf('staff%05d@corp.example', i), printf('staff%05d@corp.example', i), 'x.y', 'test',
              CASE WHEN i % 4 = 0 THEN NULL ELSE 1767225600 END FROM n`,
    );
    const now = Math.floor(Date.now() / 1000);
    const rows = Array.from({ length: IMPORTED }, (_, i) => {
      const name = sqlString(`imported${String(i).padStart(3, "0")}@corp.example`);
      return `(NULL, ${name}, ${name}, NULL, NULL, 'x.y', 'test', ${now}, ${now}, 'SHA1', 6, 30, 0, NULL, ${now})`;
    });
    sql(insertImportedUsersSql(rows));
    for (const email of onboarded) {
      const user = await api(`/createuser?email=${encodeURIComponent(email)}`);
      expect(user.success).toBe("true");
      users.push({ userid: Number(user.userid), hash: String(user.hash) });
    }
    // One valid code, the same again (a replay), five wrong ones (the fifth locks), one more (locked).
    const target = users[ONBOARDED - 1]!;
    const validate = (token: string) => api(`/validate?userid=${target.userid}&token=${token}`);
    const good = totp(target.hash).generate();
    expect((await validate(good)).validation).toBe("true");
    expect((await validate(good)).code).toBe(8);
    const wrong = String((Number(good) + 500_000) % 1_000_000).padStart(6, "0");
    for (let i = 0; i < 5; i++) expect((await validate(wrong)).validation).toBe("false");
    expect((await validate(wrong)).code).toBe(6);
  });

  it("an admin made by the CLI enrols and logs in; the overview shows the exact totals and a chart of those validations", async () => {
    const { stdout } = await run("node", [
      "--import",
      "tsx",
      "scripts/admin.ts",
      "create",
      "ops",
      "--persist-to",
      server.persistTo,
      "--origin",
      server.url,
    ]);
    await page.goto(/^(http\S+\/admin\/enrol\/\S+)$/m.exec(stdout)![1]!);
    const secret = (await page.locator("#secret").textContent())!.replace(/\s/g, "");
    await page.getByLabel("New password").fill(PASSWORD);
    await page.getByLabel("The same password again").fill(PASSWORD);
    const step = Math.floor(Date.now() / 30_000);
    await page.getByLabel("Code from your authenticator app").fill(totp(secret).generate({ timestamp: step * 30_000 }));
    await page.getByRole("button", { name: "Enrol" }).click();
    await page.getByLabel("Name").fill("ops");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByLabel("Code from your authenticator app").fill(totp(secret).generate({ timestamp: (step + 1) * 30_000 }));
    await page.getByRole("button", { name: "Log in" }).click();
    await page.goto(`${server.url}/admin`);

    const [expected] = sql<Record<string, number>>(
      `SELECT count(*) AS users, count(confirmed_at) AS confirmed, count(imported_at) AS imported,
              sum(locked_until > ${Date.now()}) AS codes, sum(portal_locked_until > ${Date.now()}) AS portal FROM users`,
    );
    expect(expected).toEqual({ users: SEEDED + ONBOARDED, confirmed: 7350 + IMPORTED + 1, imported: IMPORTED, codes: 1, portal: 0 });
    const shown = async (name: string) => Number((await page.locator(`[data-total="${name}"]`).textContent())!.replaceAll(",", ""));
    expect(await shown("Users")).toBe(expected!.users);
    expect(await shown("Confirmed")).toBe(expected!.confirmed);
    expect(await shown("Not yet confirmed")).toBe(expected!.users! - expected!.confirmed!);
    expect(await shown("Imported")).toBe(IMPORTED);
    expect(await shown("Codes locked now")).toBe(1);
    expect(await shown("Portal locked now")).toBe(0);

    // The chart and its table: the last two hours hold this test's validations (the story may straddle an hour).
    expect(await page.locator('svg[aria-label="Validations per hour"] rect').count()).toBeGreaterThan(0);
    await page.getByText("Validations per hour: the numbers").click();
    const rows = page.locator("details").first().locator("tbody tr");
    const cells = async (i: number) => (await rows.nth(i).locator("td").allTextContents()).slice(1).map(Number);
    const [a, b] = [await cells(46), await cells(47)];
    expect(a.map((n, i) => n + b[i]!)).toEqual([1, 5, 1, 1]);
    await checkBothWidths("overview");
  });

  it("a substring search and a userid search find the right users", async () => {
    await page.goto(`${server.url}/admin/users`);
    const search = page.getByLabel("Search: part of a username, email or phone, or a userid");
    await search.fill("F04321@CORP");
    await page.getByRole("button", { name: "Search" }).click();
    expect(await page.locator("main table tbody tr").count()).toBe(1);
    expect(await page.locator("main table tbody").textContent()).toContain("staff04321@corp.example");
    expect(await page.locator("#counts").textContent()).toContain(`1 of ${(SEEDED + ONBOARDED).toLocaleString("en")} users match.`);
    await checkBothWidths("users-search");

    const user = users[7]!;
    await page.getByLabel("Search: part of a username, email or phone, or a userid").fill(String(user.userid));
    await page.getByRole("button", { name: "Search" }).click();
    const hit = page.locator("main table tbody tr", { hasText: onboarded[7]! });
    expect(await hit.locator('td[data-label="Userid"]').textContent()).toBe(String(user.userid));
  });

  it("onboards 50 users from one CSV; one signs in to the portal with the generated password and enrols", async () => {
    const file = path.join(shots, "onboard.csv");
    writeFileSync(file, `username\n${onboarded.join("\n")}\n`);
    await page.goto(`${server.url}/admin/users`);
    await page.getByRole("link", { name: "Set portal passwords from a CSV…" }).click();
    await page.getByLabel("CSV file").setInputFiles(file);
    await page.getByRole("button", { name: "Review the changes" }).click();
    expect(await page.locator("h1").textContent()).toBe(`Set portal passwords: ${ONBOARDED} of ${ONBOARDED} rows`);
    expect(sql(`SELECT count(*) AS n FROM users WHERE password_hash IS NOT NULL`)[0]!.n).toBe(0);
    await checkBothWidths("onboard-confirm");
    await page.getByRole("button", { name: `Yes, set ${ONBOARDED} passwords` }).click();
    const csv = parseCsvWithPython(await downloadFrom(page, "Download the generated passwords (CSV)"));
    expect(csv[0]).toEqual(["userid", "username", "password"]);
    expect(csv.slice(1).map((row) => row[1])).toEqual(onboarded);
    await checkBothWidths("onboard-done");

    const [userid, email, password] = csv[1]!;
    const user = users.find((u) => u.userid === Number(userid))!;
    const portal = await openPage(browser, 390, problems);
    await portal.goto(`${server.url}/portal`);
    await portal.getByLabel("Username").fill(email!);
    await portal.getByLabel("Password").fill(password!);
    await portal.getByRole("button", { name: "Sign in" }).click();
    expect((await portal.locator(".secret").textContent())?.replaceAll(" ", "")).toBe(user.hash);
    await portal.getByLabel("Enter the code").fill(totp(user.hash).generate());
    await portal.getByRole("button", { name: "Confirm" }).click();
    await expect.poll(() => portal.title()).toMatch(/^Save your recovery codes/);
    await portal.close();
  });

  it("unlocks the locked user with the list's selection, and downloads the users CSV", async () => {
    const locked = users[ONBOARDED - 1]!;
    await page.goto(`${server.url}/admin/users?locked=1`);
    const row = page.locator("main table tbody tr", { hasText: onboarded[ONBOARDED - 1]! });
    await row.getByRole("checkbox").check();
    await page.getByRole("button", { name: "Unlock…" }).click();
    expect(await page.locator("h1").textContent()).toBe("Unlock: 1 user");
    await checkBothWidths("bulk-confirm");
    await page.getByRole("button", { name: "Yes, unlock (1)" }).click();
    expect(await page.locator("h1").textContent()).toBe("Unlock: done for 1 of 1");
    const next = totp(locked.hash).generate({ timestamp: Date.now() + 30_000 });
    expect((await api(`/validate?userid=${locked.userid}&token=${next}`)).validation).toBe("true");

    await page.goto(`${server.url}/admin/users`);
    const text = await downloadFrom(page, "Download all users (CSV)");
    const rows = parseCsvWithPython(text);
    expect(rows[0]).toEqual(["userid", "username", "created", "confirmed", "last success", "locked", "token type"]);
    expect(rows).toHaveLength(SEEDED + ONBOARDED + 1);
    const mine = rows.find((r) => r[0] === String(locked.userid))!;
    expect(mine.slice(1)).toEqual([
      onboarded[ONBOARDED - 1],
      expect.stringMatching(/ UTC$/),
      expect.stringMatching(/ UTC$/),
      expect.stringMatching(/ UTC$/),
      "no",
      "app",
    ]);
    await checkBothWidths("users");
    expect(problems).toEqual([]);
  });
}, 240_000);
