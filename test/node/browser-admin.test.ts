// The operator console in a real browser (Debian's chromium, driven by playwright-core) against
// `wrangler dev`: the whole story, from `npm run admin -- create` to revoking a key.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import * as OTPAuth from "otpauth";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execute } from "../../scripts/lib/d1";
import { startLocalServer, type LocalServer } from "../../scripts/lib/local-server";
import { checkNoOverflow, launchChromium, openPage, screenshotFolder } from "./support/browser";
import { freshFetch } from "./support/fresh-fetch";

const API_KEY = `consoleBrowser${Date.now()}KeyForTests`;
const PASSWORD = "a console passphrase";
const run = promisify(execFile);
const shots = screenshotFolder("console");

let server: LocalServer;
let browser: Browser;
/** The logged-in admin's browser. */
let context: BrowserContext;
let page: Page;
let adminSecret: string;
/** Steps already used for the admin's logins: each code logs in once. */
let lastStep = -1;
const problems: string[] = [];

const totp = (secret: string) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
const step = () => Math.floor(Date.now() / 30_000);

/**
 * A code of the admin's secret for a step not used yet: the server accepts one step either side of
 * now (TOTP_DRIFT_STEPS), so the next step's code works at once; past that, wait for time to move.
 */
async function freshAdminCode(): Promise<string> {
  while (Math.max(lastStep + 1, step()) > step() + 1) await new Promise((resolve) => setTimeout(resolve, 500));
  lastStep = Math.max(lastStep + 1, step());
  return totp(adminSecret).generate({ timestamp: lastStep * 30_000 });
}

async function admin(...args: string[]): Promise<string> {
  const { stdout } = await run("node", [
    "--import",
    "tsx",
    "scripts/admin.ts",
    ...args,
    "--persist-to",
    server.persistTo,
    "--origin",
    server.url,
  ]);
  return stdout;
}

async function api(pathAndQuery: string): Promise<Record<string, unknown>> {
  const res = await freshFetch(`${server.url}${pathAndQuery}${pathAndQuery.includes("?") ? "&" : "?"}format=1`);
  return (await res.json()) as Record<string, unknown>;
}

function newPage(width: number, into = context): Promise<Page> {
  return openPage(browser, width, problems, into);
}

/** The stylesheet applied (only its CSP hash allows it), and nothing wider than the window. */
async function checkLayout(target: Page, name: string): Promise<void> {
  expect(await target.evaluate<string>("getComputedStyle(document.body).maxWidth")).toBe("1024px");
  await checkNoOverflow(target, path.join(shots, `${name}.png`));
}

beforeAll(async () => {
  server = await startLocalServer({ apiKeys: { console: API_KEY } });
  browser = await launchChromium();
  context = await browser.newContext();
  page = await newPage(1280);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("the console in chromium", () => {
  it("an admin made by the CLI follows the link, sets a password, enrols a TOTP and logs in", async () => {
    const out = await admin("create", "ops");
    const link = /^(http\S+\/admin\/enrol\/\S+)$/m.exec(out)![1]!;
    await page.goto(link);
    await checkLayout(page, "enrol-1280");
    adminSecret = (await page.locator("#secret").textContent())!.replace(/\s/g, "");
    await page.getByLabel("New password").fill(PASSWORD);
    await page.getByLabel("The same password again").fill(PASSWORD);
    lastStep = step();
    await page.getByLabel("Code from your authenticator app").fill(totp(adminSecret).generate());
    await page.getByRole("button", { name: "Enrol" }).click();
    expect(new URL(page.url()).pathname).toBe("/admin/login");
    await expect.poll(() => page.locator("main").textContent()).toContain("You are enrolled");

    // The link works once.
    const again = await page.goto(link);
    expect(again?.status()).toBe(404);

    await page.goto(`${server.url}/admin/login`);
    await page.getByLabel("Name").fill("ops");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByLabel("Code from your authenticator app").fill(await freshAdminCode());
    await page.getByRole("button", { name: "Log in" }).click();
    expect(new URL(page.url()).pathname).toBe("/admin/users");
    const cookie = (await context.cookies()).find((c) => c.name === "totp_admin")!;
    expect([cookie.httpOnly, cookie.secure, cookie.sameSite, cookie.path]).toEqual([true, true, "Strict", "/admin"]);
  });

  it("refuses a forged cross-site POST, and a session replayed after logout", async () => {
    const session = (await context.cookies()).find((c) => c.name === "totp_admin")!.value;
    // Another site's page posting to the console (the browser adds its own Origin; SameSite keeps the cookie away too).
    const evil = await newPage(800);
    await evil.route("http://evil.test/**", (route) =>
      route.fulfill({
        contentType: "text/html",
        body: `<form method="post" action="${server.url}/admin/logout"><input name="csrf" value="guess"></form>`,
      }),
    );
    await evil.goto("http://evil.test/");
    const [answer] = await Promise.all([evil.waitForNavigation(), evil.evaluate("document.forms[0].submit()")]);
    expect(answer?.status()).toBe(403);
    await evil.close();
    // Still logged in: the forged logout did nothing.
    await page.goto(`${server.url}/admin`);
    expect(new URL(page.url()).pathname).toBe("/admin");

    // Log out in a second browser holding a copy of the cookie, then replay the copy.
    const other = await browser.newContext();
    await other.addCookies([
      { name: "totp_admin", value: session, url: `${server.url}/admin`, httpOnly: true, secure: true, sameSite: "Strict" },
    ]);
    const second = await newPage(1280, other);
    await second.goto(`${server.url}/admin/users`);
    expect(new URL(second.url()).pathname).toBe("/admin/users");
    await second.getByRole("button", { name: "Log out" }).click();
    expect(new URL(second.url()).pathname).toBe("/admin/login");
    await second.close();
    await other.close();
    await page.goto(`${server.url}/admin/users`);
    expect(new URL(page.url()).pathname).toBe("/admin/login");
    const replay = await fetch(`${server.url}/admin/users`, { headers: { Cookie: `totp_admin=${session}` }, redirect: "manual" });
    expect([replay.status, replay.headers.get("location")]).toEqual([303, "/admin/login"]);

    // Log in again for the rest of the story.
    await page.getByLabel("Name").fill("ops");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByLabel("Code from your authenticator app").fill(await freshAdminCode());
    await page.getByRole("button", { name: "Log in" }).click();
    expect(new URL(page.url()).pathname).toBe("/admin/users");
  });

  it("finds one user among 10,000, unlocks them for the API, and resets their secret so that old codes fail", async () => {
    // 10,000 users straight into the server's D1 (one statement), and one real user through the API.
    execute(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
       INSERT INTO users (username, username_key, email, secret_ciphertext, secret_key_id)
       SELECT printf('user%05d@bulk.example', i), printf('user%05d@bulk.example', i), printf('user%05d@bulk.example', i), 'x.y', 'test' FROM n`,
      { persistTo: server.persistTo },
    );
    const email = `mallory.target-${Date.now()}@example.com`;
    const user = await api(`/createuser?api_key=${API_KEY}&email=${email}`);
    const userSecret = String(user.hash);
    const code = (offsetSteps = 0) => totp(userSecret).generate({ timestamp: Date.now() + offsetSteps * 30_000 });
    const validate = (token: string) => api(`/validate?api_key=${API_KEY}&userid=${user.userid}&token=${token}`);

    // Locked by wrong codes.
    for (let i = 0; i < 5; i++) await validate(String((Number(code()) + 1 + i) % 1_000_000).padStart(6, "0"));
    expect((await validate(code())).code).toBe(6);

    await page.goto(`${server.url}/admin/users`);
    await page.getByLabel("Search: part of a username, email or phone, or a userid").fill("Mallory.T");
    await page.getByRole("button", { name: "Search" }).click();
    await checkLayout(page, "users-search-1280");
    const hits = page.locator("main table tbody tr");
    expect(await hits.count()).toBe(1);
    await hits.getByRole("link", { name: email }).click();
    expect(await page.locator("main").textContent()).toMatch(/locked/i);

    await page.getByRole("link", { name: "Unlock…" }).click();
    await page.getByRole("button", { name: "Yes, unlock" }).click();
    expect((await validate(code())).validation).toBe("true");

    await page.getByRole("link", { name: "Reset secret…" }).click();
    await page.getByRole("button", { name: "Yes, reset the secret" }).click();
    const newSecret = (await page.locator(".secret").textContent())!.replace(/\s/g, "");
    expect(newSecret).toMatch(/^[A-Z2-7]{32}$/);
    expect(newSecret).not.toBe(userSecret);
    await checkLayout(page, "user-reset-1280");
    // A code of the old secret (for a step not used yet) is refused; the new secret's works.
    expect((await validate(code(1))).validation).toBe("false");
    expect((await validate(totp(newSecret).generate())).validation).toBe("true");
  });

  it("creates a key that the API accepts, and revokes it: the API refuses it at once", async () => {
    await page.goto(`${server.url}/admin/keys`);
    await page.getByLabel("Label").fill("browser test site");
    await page.getByRole("button", { name: "Create key" }).click();
    const key = (await page.locator(".secret").textContent())!.trim();
    expect(key).toMatch(/^[A-Za-z0-9]{32}$/);
    await checkLayout(page, "key-created-1280");
    const created = await api(`/createuser?api_key=${key}&email=keyed-${Date.now()}@example.com`);
    expect(created.success).toBe("true");

    await page.goto(`${server.url}/admin/keys`);
    expect(await page.content()).not.toContain(key);
    const row = page.locator("tr", { hasText: "browser test site" });
    await row.getByRole("link", { name: "Revoke…" }).click();
    await page.getByRole("button", { name: /Revoke/ }).click();
    await expect.poll(() => page.locator("main").textContent()).toContain("is revoked");
    const refused = await api(`/createuser?api_key=${key}&email=late-${Date.now()}@example.com`);
    expect([refused.success, refused.code]).toEqual(["false", 1]);
  });

  it("every console page fits a 390 px phone and a 1280 px screen without horizontal scrolling", async () => {
    const narrow = await newPage(390);
    const wide = await newPage(1280);
    const firstUser = (await api(`/createuser?api_key=${API_KEY}&email=layout-${Date.now()}-with-a-rather-long-address@example.com`))
      .userid;
    for (const [name, pagePath] of [
      ["users", "/admin/users"],
      ["users-locked", "/admin/users?locked=1"],
      ["user", `/admin/users/${firstUser}`],
      ["user-confirm-delete", `/admin/users/${firstUser}/confirm/delete`],
      ["keys", "/admin/keys"],
      ["audit", "/admin/audit"],
    ]) {
      for (const [width, target] of [
        [390, narrow],
        [1280, wide],
      ] as const) {
        const answer = await target.goto(`${server.url}${pagePath}`);
        expect([pagePath, answer?.status()]).toEqual([pagePath, 200]);
        await checkLayout(target, `${name}-${width}`);
      }
    }
    await narrow.close();
    await wide.close();
    // And the login page, logged out, on a phone.
    const loggedOut = await browser.newContext();
    const phone = await newPage(390, loggedOut);
    await phone.goto(`${server.url}/admin/login`);
    await checkLayout(phone, "login-390");
    await loggedOut.close();
  });

  it("no console page shows a console error (CSP violations included)", () => {
    expect(problems).toEqual([]);
  });
});
