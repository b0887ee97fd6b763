// "Lost your phone?" in a real browser (Debian's chromium, driven by playwright-core) against
// `wrangler dev` with the default settings: the issue's whole story, as a user lives it. One
// test, since each step needs the one before it; each page is looked at 1280 and 390 px wide.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as OTPAuth from "otpauth";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalServer, startLocalServer } from "../../scripts/lib/local-server";
import { checkNoOverflow, launchChromium, openRecordedPage, screenshotFolder } from "./support/browser";

const KEY = `recovery${randomBytes(16).toString("hex")}`;
const ISSUER = "Acme Recovery";
const PASSWORD = "correct horse battery";
/** LOCKOUT_THRESHOLD's default (DEPLOY.md): wrong passwords or recovery codes that lock the portal login. */
const THRESHOLD = 5;

let server: LocalServer;
let browser: Browser;
const shots = screenshotFolder("recovery");

beforeAll(async () => {
  server = await startLocalServer({ apiKeys: { recovery: KEY }, vars: { ISSUER } });
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** The page at both widths: nothing wider than the window, and a screenshot of each. */
async function checkBothWidths(page: Page, name: string): Promise<void> {
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await checkNoOverflow(page, path.join(shots, `${name}-${width}.png`));
  }
}

/** createuser, then a local password through api.php, as an operator's integration does. */
async function newUser(): Promise<{ userid: number; email: string }> {
  const email = `recovery-${randomBytes(4).toString("hex")}@example.com`;
  const created = await fetch(`${server.url}/createuser`, {
    method: "POST",
    headers: { "X-API-Key": KEY },
    body: new URLSearchParams({ email, format: "1" }),
  });
  const { userid } = (await created.json()) as { userid: number };
  const body = new URLSearchParams({ action: "changelocaluserpassword", user: email, localpassword: PASSWORD });
  expect(await (await fetch(`${server.url}/api.php`, { method: "POST", headers: { "X-API-Key": KEY }, body })).text()).toBe(
    "Success: user password changed",
  );
  return { userid, email };
}

const totp = (secret: string) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });

async function validate(userid: number, token: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${server.url}/validate?userid=${userid}&token=${token}&format=1`, { headers: { "X-API-Key": KEY } });
  return (await res.json()) as Record<string, unknown>;
}

/** The unconfirmed page's key, confirmed with its current code; returns the key and the recovery codes shown. */
async function confirmShownKey(page: Page): Promise<{ secret: string; codes: string[] }> {
  const secret = (await page.locator(".secret").textContent())!.replaceAll(" ", "");
  await page.getByLabel("Enter the code").fill(totp(secret).generate());
  await page.getByRole("button", { name: "Confirm" }).click();
  await expect.poll(() => page.title()).toBe(`Save your recovery codes · ${ISSUER}`);
  return { secret, codes: await page.locator("#recovery-codes code").allTextContents() };
}

async function recover(page: Page, username: string, code: string, password = PASSWORD): Promise<void> {
  await page.goto(`${server.url}/portal`);
  await page.getByRole("link", { name: "Lost your phone?" }).click();
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByLabel("Recovery code").fill(code);
  await page.getByRole("button", { name: "Set up a new app" }).click();
  await page.waitForLoadState();
}

const refused = (page: Page) =>
  expect.poll(() => page.getByRole("alert").textContent()).toMatch(/^Wrong username, password or recovery code/);

describe("lost your phone? in chromium", () => {
  it("enrol, save the codes, lose the phone, re-enrol the same userid with one code; old codes and guessing refused", async () => {
    const user = await newUser();
    const { page, problems } = await openRecordedPage(browser, 1280);
    await page.goto(`${server.url}/portal`);
    await page.getByLabel("Username").fill(user.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    const first = await confirmShownKey(page);
    expect(first.codes).toHaveLength(10);
    for (const code of first.codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{6}-[0-9A-HJKMNP-TV-Z]{6}$/);
    await checkBothWidths(page, "codes");
    // Saved as the text file the page offers.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download as a text file" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${ISSUER}-recovery-codes.txt`);
    const saved = await readFile((await download.path())!, "utf8");
    for (const code of first.codes) expect(saved).toContain(code);
    await page.getByRole("link", { name: "I have saved them" }).click();
    await expect.poll(() => page.locator("main").textContent()).toContain("You have 10 recovery codes.");
    await checkBothWidths(page, "confirmed");
    await page.getByRole("button", { name: "Log out" }).click();

    // The phone is lost: the password and one saved code.
    await page.goto(`${server.url}/portal`);
    await page.getByRole("link", { name: "Lost your phone?" }).click();
    await checkBothWidths(page, "recover");
    await recover(page, user.email, saved.split("\n").find((line) => line === first.codes[2])!);
    expect(page.url()).toBe(`${server.url}/portal`);
    await checkBothWidths(page, "re-enrol");
    const second = await confirmShownKey(page);
    expect(second.secret).not.toBe(first.secret);
    expect(second.codes.some((code) => first.codes.includes(code))).toBe(false);
    // Same userid: the old app's codes fail, the new app's pass.
    expect(await validate(user.userid, totp(first.secret).generate())).toMatchObject({ userid: user.userid, validation: "false" });
    const next = totp(second.secret).generate({ timestamp: Date.now() + 30_000 });
    expect(await validate(user.userid, next)).toMatchObject({ userid: user.userid, response: "OTP is valid", validation: "true" });
    await page.getByRole("link", { name: "I have saved them" }).click();
    await page.getByRole("button", { name: "Log out" }).click();

    // The used code, and the rest of the old set, are refused from now on (each counts as a wrong attempt).
    await recover(page, user.email, first.codes[2]!);
    await refused(page);
    await recover(page, user.email, first.codes[7]!);
    await refused(page);
    await checkBothWidths(page, "recover-refused");
    // Guessing locks the portal login at LOCKOUT_THRESHOLD wrong attempts: then a right code and the password are refused too.
    for (let i = 2; i < THRESHOLD; i++) {
      await recover(page, user.email, `${randomBytes(3).toString("hex")}-${randomBytes(3).toString("hex")}`.toUpperCase());
      await refused(page);
    }
    await recover(page, user.email, second.codes[0]!);
    await refused(page);
    await page.goto(`${server.url}/portal`);
    await page.getByLabel("Username").fill(user.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toMatch(/^Wrong username or password/);
    expect(problems).toEqual([]);
    await page.context().close();
  }, 120_000);
});
