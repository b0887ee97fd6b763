// The audit trail, admins and settings pages in a real browser (chromium via playwright-core)
// against `wrangler dev`: filter the trail, download its CSV, invite an admin who enrols through
// the link, disable them, read the settings; every page at 1280 and 390 px without overflow.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import * as OTPAuth from "otpauth";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCsvWithPython } from "./support/csv";
import { startLocalServer, type LocalServer } from "../../scripts/lib/local-server";
import { checkNoOverflow, launchChromium, openPage, screenshotFolder } from "./support/browser";

const PASSWORD = "a console passphrase";
const run = promisify(execFile);
const shots = screenshotFolder("console-admins");

let server: LocalServer;
let browser: Browser;
let page: Page;
const problems: string[] = [];

const totp = (secret: string) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });

/** Follows an enrolment link in `target` and enrols; returns the TOTP secret. */
async function enrolThrough(target: Page, link: string): Promise<string> {
  await target.goto(link);
  const secret = (await target.locator("#secret").textContent())!.replace(/\s/g, "");
  await target.getByLabel("New password").fill(PASSWORD);
  await target.getByLabel("The same password again").fill(PASSWORD);
  await target.getByLabel("Code from your authenticator app").fill(totp(secret).generate());
  await target.getByRole("button", { name: "Enrol" }).click();
  await target.locator("main", { hasText: "You are enrolled" }).waitFor();
  return secret;
}

async function logIn(target: Page, name: string, secret: string): Promise<void> {
  await target.goto(`${server.url}/admin/login`);
  await target.getByLabel("Name").fill(name);
  await target.getByLabel("Password").fill(PASSWORD);
  // The next step's code: the enrolment spent this step's.
  await target.getByLabel("Code from your authenticator app").fill(totp(secret).generate({ timestamp: Date.now() + 30_000 }));
  await target.getByRole("button", { name: "Log in" }).click();
  expect(new URL(target.url()).pathname).toBe("/admin/users");
}

/** Both widths: nothing wider than the window, a screenshot of each. */
async function checkBoth(target: Page, name: string): Promise<void> {
  for (const width of [1280, 390]) {
    await target.setViewportSize({ width, height: 900 });
    await checkNoOverflow(target, path.join(shots, `${name}-${width}.png`));
  }
  await target.setViewportSize({ width: 1280, height: 900 });
}

beforeAll(async () => {
  server = await startLocalServer({});
  browser = await launchChromium();
  page = await openPage(browser, 1280, problems);
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
  const secret = await enrolThrough(page, /^(http\S+\/admin\/enrol\/\S+)$/m.exec(stdout)![1]!);
  await logIn(page, "ops", secret);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("audit trail, admins and settings in chromium", () => {
  it("filters the audit trail with the form and downloads the filtered CSV", async () => {
    // A burst of wrong API keys: counted in the Worker, written as one row after the answers.
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${server.url}/validate?api_key=wrong-${i}&userid=1&token=123456&format=1`, {
        headers: { Connection: "close" },
      });
      expect(await res.json()).toMatchObject({ code: 1 });
    }
    await page.goto(`${server.url}/admin/audit`);
    await page.getByLabel("Action").selectOption("api-key.refused");
    await page.getByRole("button", { name: "Filter" }).click();
    expect(new URL(page.url()).searchParams.get("action")).toBe("api-key.refused");
    await expect
      .poll(async () => {
        await page.reload();
        return page.locator('td[data-label="Outcome"]').allTextContents();
      })
      .toEqual(["refused × 5"]);
    expect(await page.locator('td[data-label="Reason"]').textContent()).toBe("API key not valid");
    await checkBoth(page, "audit-filtered");

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download as CSV" }).click()]);
    const [header, ...rows] = parseCsvWithPython(readFileSync((await download.path())!, "utf8"));
    expect(header).toEqual(["id", "at_utc", "actor", "action", "target", "outcome", "count", "client", "reason"]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.slice(3)).toEqual([
      "api-key.refused",
      expect.stringMatching(/^from /),
      "refused",
      "5",
      expect.any(String),
      "API key not valid",
    ]);
  });

  it("invites an admin, who enrols through the link, and disables them", async () => {
    await page.goto(`${server.url}/admin/admins`);
    await page.getByLabel("Name").fill("second");
    await page.getByRole("button", { name: "Invite" }).click();
    await page.getByRole("button", { name: "Invite second" }).click();
    const link = (await page.locator("#enrolment-link").textContent())!;
    expect(link).toMatch(/\/admin\/enrol\/[A-Za-z0-9_-]{43}$/);
    await checkBoth(page, "admin-invited");

    const newcomer = await openPage(browser, 390, problems);
    await enrolThrough(newcomer, link);
    await page.goto(`${server.url}/admin/admins`);
    const row = page.locator("tr", { has: page.locator('td[data-label="Name"]', { hasText: /^second$/ }) });
    expect(await row.locator('td[data-label="State"]').textContent()).toBe("active");
    expect(await row.locator('td[data-label="Second factor"]').textContent()).toBe("set up");
    await checkBoth(page, "admins");

    await row.getByRole("link", { name: "Disable…" }).click();
    await page.getByRole("button", { name: "Disable second" }).click();
    await expect.poll(() => page.locator("main").textContent()).toContain("Disabled admin second");
    expect(await row.locator('td[data-label="State"]').textContent()).toMatch(/^disabled \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
    // An admin cannot disable themselves.
    const self = page.locator("tr", { has: page.locator('td[data-label="Name"]', { hasText: /^ops$/ }) });
    await self.getByRole("link", { name: "Disable…" }).click();
    await page.getByRole("button", { name: "Disable ops" }).click();
    await expect.poll(() => page.locator("main").textContent()).toContain("You cannot disable yourself");
  });

  it("shows the settings the Worker runs with", async () => {
    await page.goto(`${server.url}/admin/settings`);
    const threshold = page.locator("tr", { has: page.locator('td[data-label="Setting"]', { hasText: /^LOCKOUT_THRESHOLD$/ }) });
    expect(await threshold.locator('td[data-label="Default"]').textContent()).toBe("5 failures");
    expect(await page.locator("#key-ids").textContent()).toBe("test");
    await checkBoth(page, "settings");
    expect(problems).toEqual([]);
  });
});
