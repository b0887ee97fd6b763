// Debian's chromium, driven by playwright-core, for the tests of what people see: /docs, the
// console, the portal. No browser can be downloaded here: npm test's first step installs the
// package (scripts/system-tools.ts), as it does zbar-tools for decodeQr.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { expect } from "vitest";

const CHROMIUM = "/usr/bin/chromium";
const run = promisify(execFile);

export async function launchChromium(): Promise<Browser> {
  // A missing browser is a broken setup, not a reason to skip (npm test installs it before any test).
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: npm test installs it (scripts/system-tools.ts)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** The text of the QR code in an image file, decoded by zbarimg (an independent decoder). */
export async function decodeQr(file: string): Promise<string> {
  const { stdout } = await run("zbarimg", ["--raw", "-q", file]).catch((error: NodeJS.ErrnoException) => {
    throw error.code === "ENOENT" ? new Error("zbarimg not found: npm test installs it (scripts/system-tools.ts)") : error;
  });
  return stdout.trim();
}

/** A fresh folder for a test file's screenshots, named in the test output so people can look at them. */
export function screenshotFolder(name: string): string {
  const folder = mkdtempSync(path.join(tmpdir(), `totp-edge-${name}-`));
  console.log(`screenshots: ${folder}`);
  return folder;
}

/**
 * A page `width` px wide (in a new context unless one is given) that records in `problems` every
 * console error and warning: CSP violations and script errors. Two messages are not the page's:
 * chromium's own request for /favicon.ico, and "Failed to load resource" for an answer a test
 * asked for on purpose (a 403 or 404 page).
 */
export async function openPage(browser: Browser, width: number, problems: string[], context?: BrowserContext): Promise<Page> {
  const owner = context ?? (await browser.newContext({ deviceScaleFactor: 1 }));
  const page = await owner.newPage();
  await page.setViewportSize({ width, height: 900 });
  page.setDefaultTimeout(15_000);
  page.on("console", (message) => {
    if (message.type() !== "error" && message.type() !== "warning") return;
    if (message.location().url.endsWith("/favicon.ico") || message.text().startsWith("Failed to load resource")) return;
    problems.push(`${page.url()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(error.message));
  return page;
}

/** A page `width` px wide in a context of its own, and the console problems it records (see openPage). */
export async function openRecordedPage(browser: Browser, width: number): Promise<{ page: Page; problems: string[] }> {
  const problems: string[] = [];
  return { page: await openPage(browser, width, problems), problems };
}

/** Nothing wider than the window, and a full-page screenshot to look at. */
export async function checkNoOverflow(page: Page, file: string): Promise<void> {
  const scroll = await page.evaluate<number>("document.documentElement.scrollWidth");
  const window = await page.evaluate<number>("window.innerWidth");
  expect(scroll, `${path.basename(file)}: ${scroll} px wide in a ${window} px window`).toBeLessThanOrEqual(window);
  await page.screenshot({ path: file, fullPage: true });
}
