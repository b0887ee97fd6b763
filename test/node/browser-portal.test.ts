// The self-service portal in a real browser (Debian's chromium, driven by playwright-core) against
// `wrangler dev` with HIDE_QR_AFTER_CONFIRMATION=on: the issue's whole story, as a user lives it.
import { randomBytes } from "node:crypto";
import path from "node:path";
import * as OTPAuth from "otpauth";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalServer, type LocalServer } from "../../scripts/lib/local-server";
import { checkNoOverflow, decodeQr, launchChromium, openRecordedPage, screenshotFolder } from "./support/browser";

const KEY = `portal${randomBytes(16).toString("hex")}`;
const ISSUER = "Acme Portal";
const PASSWORD = "correct horse battery";

let server: LocalServer;
let browser: Browser;
const shots = screenshotFolder("portal");

beforeAll(async () => {
  server = await startLocalServer({ apiKeys: { portal: KEY }, vars: { ISSUER, HIDE_QR_AFTER_CONFIRMATION: "on" } });
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const openPage = (width: number) => openRecordedPage(browser, width);

/** No horizontal scrolling, and the one stylesheet applied (it applies only if the CSP allows its hash). */
async function checkLayout(page: Page, name: string): Promise<void> {
  expect(await page.evaluate<string>("getComputedStyle(document.body).maxWidth")).toBe("1024px");
  const window = await page.evaluate<number>("window.innerWidth");
  await checkNoOverflow(page, path.join(shots, `${name}-${window}.png`));
}

interface User {
  userid: number;
  hash: string;
  hashqr: string;
  email: string;
}

/** createuser, then a local password through api.php, as an operator's integration does. */
async function newUser(): Promise<User> {
  const email = `portal-${randomBytes(4).toString("hex")}@example.com`;
  const created = await fetch(`${server.url}/createuser`, {
    method: "POST",
    headers: { "X-API-Key": KEY },
    body: new URLSearchParams({ email, format: "1" }),
  });
  const user = (await created.json()) as Omit<User, "email">;
  const set = await fetch(`${server.url}/api.php`, {
    method: "POST",
    headers: { "X-API-Key": KEY },
    body: new URLSearchParams({ action: "changelocaluserpassword", user: email, localpassword: PASSWORD }),
  });
  expect(await set.text()).toBe("Success: user password changed");
  return { ...user, email };
}

const code = (secret: string) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate();

async function validate(user: User, token: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${server.url}/validate?userid=${user.userid}&token=${token}&format=1`, { headers: { "X-API-Key": KEY } });
  return (await res.json()) as Record<string, unknown>;
}

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto(`${server.url}/portal`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForLoadState();
}

describe("the portal in chromium", () => {
  for (const width of [1280, 390]) {
    it(`at ${width} px: enrol from the QR code, confirm, and never see the secret again`, async () => {
      const user = await newUser();
      const { page, problems } = await openPage(width);
      await page.goto(`${server.url}/portal`);
      expect(await page.title()).toBe(`Sign in · ${ISSUER}`);
      await checkLayout(page, "login");

      await signIn(page, user.email, PASSWORD);
      expect(page.url()).toBe(`${server.url}/portal`);
      await checkLayout(page, "unconfirmed");
      // The QR code as a phone's camera would read it.
      const file = path.join(shots, `qr-${width}.png`);
      await page.locator("img.qr").screenshot({ path: file });
      const issuer = encodeURIComponent(ISSUER);
      expect(await decodeQr(file)).toBe(
        `otpauth://totp/${issuer}:${encodeURIComponent(user.email)}?secret=${user.hash}&issuer=${issuer}&algorithm=SHA1&digits=6&period=30`,
      );
      expect((await page.locator(".secret").textContent())?.replaceAll(" ", "")).toBe(user.hash);
      expect((await fetch(user.hashqr)).status).toBe(200);

      const token = code(user.hash);
      await page.getByLabel("Enter the code").fill(token);
      await page.getByRole("button", { name: "Confirm" }).click();
      // The recovery codes come first (test/node/browser-recovery.test.ts), then the user's page.
      await expect.poll(() => page.title()).toBe(`Save your recovery codes · ${ISSUER}`);
      await page.getByRole("link", { name: "I have saved them" }).click();
      await expect.poll(() => page.locator(".notice").textContent()).toMatch(/confirmed on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
      await checkLayout(page, "confirmed");
      // The code was spent: the API refuses it, and hashqr is gone (HIDE_QR_AFTER_CONFIRMATION=on).
      expect(await validate(user, token)).toMatchObject({ code: 8, error: "token already used" });
      expect((await fetch(user.hashqr)).status).toBe(404);

      await page.getByRole("button", { name: "Log out" }).click();
      await expect.poll(() => page.title()).toBe(`Sign in · ${ISSUER}`);
      await signIn(page, user.email, PASSWORD);
      const html = await page.content();
      expect(html).toContain("confirmed on");
      for (const absent of [user.hash, "otpauth", "data:image"]) expect(html.replaceAll(" ", "")).not.toContain(absent);
      expect(await page.locator("img").count()).toBe(0);
      expect(problems).toEqual([]);
      await page.context().close();
    });
  }

  it("twelve wrong passwords lock the portal login for that user, while the API still checks their codes", async () => {
    const user = await newUser();
    const { page, problems } = await openPage(390);
    for (let i = 0; i < 12; i++) {
      await signIn(page, user.email, `wrong password ${i}`);
      await expect.poll(() => page.getByRole("alert").textContent()).toMatch(/^Wrong username or password/);
    }
    await signIn(page, user.email, PASSWORD);
    expect(await page.getByRole("alert").textContent()).toMatch(/^Wrong username or password/);
    expect(await page.locator("img.qr").count()).toBe(0);
    await checkLayout(page, "login-refused");
    expect(await validate(user, code(user.hash))).toMatchObject({ response: "OTP is valid" });
    // A refused login is answered 400 ("Failed to load resource", left out by openPage); nothing else may be on the console.
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
