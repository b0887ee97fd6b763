// The docs page and the QR image in a real browser (Debian's chromium, driven by playwright-core)
// against `wrangler dev`: what a person sees, which the workers tests cannot show.
import { randomBytes } from "node:crypto";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalServer, type LocalServer } from "../../scripts/lib/local-server";
import { decodeQr, launchChromium, openRecordedPage, screenshotFolder } from "./support/browser";

const KEY = `browser${randomBytes(16).toString("hex")}`;
const QR_SIZE = 256;

let server: LocalServer;
let browser: Browser;
const shots = screenshotFolder("docs");

beforeAll(async () => {
  server = await startLocalServer({ apiKeys: { browser: KEY } });
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const openPage = (width: number) => openRecordedPage(browser, width);

describe("the docs page in chromium", () => {
  it("GET / redirects to /docs", async () => {
    const res = await fetch(`${server.url}/`, { redirect: "manual" });
    expect([res.status, res.headers.get("location")]).toEqual([302, "/docs"]);
    const { page } = await openPage(1280);
    const answer = await page.goto(`${server.url}/`);
    expect(answer?.status()).toBe(200);
    expect(answer?.request().redirectedFrom()?.url()).toBe(`${server.url}/`);
    expect(page.url()).toBe(`${server.url}/docs`);
    await page.context().close();
  });

  for (const width of [1280, 390]) {
    it(`at ${width} px: styled under its CSP, no horizontal scrolling`, async () => {
      const { page, problems } = await openPage(width);
      await page.goto(`${server.url}/docs`);
      // The stylesheet applies only if its hash matches the CSP; unstyled, body has no max-width.
      // (Page functions are strings: this project's TypeScript has no DOM types.)
      expect(await page.evaluate<string>("getComputedStyle(document.body).maxWidth")).toBe("960px");
      const widths = {
        page: await page.evaluate<number>("document.documentElement.scrollWidth"),
        window: await page.evaluate<number>("window.innerWidth"),
      };
      expect(widths.page, `page ${widths.page} px wide in a ${widths.window} px window`).toBeLessThanOrEqual(widths.window);
      await page.screenshot({ path: path.join(shots, `docs-${width}.png`), fullPage: true });
      expect(problems).toEqual([]);
      await page.context().close();
    });
  }

  it("every curl example on the page works against the server", async () => {
    const { page } = await openPage(1280);
    await page.goto(`${server.url}/docs`);
    const commands = (await page.locator("pre.shell").allTextContents()).filter((t) => t.startsWith("curl "));
    expect(commands.length).toBeGreaterThanOrEqual(8);
    // In page order: createuser makes alice, whom the api.php examples then re-password and delete.
    for (const command of commands) {
      const { url, init } = asFetch(command);
      const res = await fetch(url, { ...init, redirect: "manual" });
      const text = await res.text();
      // The QR example's secret is a placeholder: only a real hashqr answers 200.
      const expected = url.includes("/qr/") ? 404 : new URL(url).pathname === "/" ? 302 : 200;
      expect([command, res.status]).toEqual([command, expected]);
      // An API answer without an error: no api.php `Error: …`, no `error` or `code` field.
      if (command.includes("X-API-Key")) {
        expect(text.slice(0, 300), command).not.toMatch(/^Error:|"error"|"code"/);
      }
    }
    await page.context().close();
  });
});

/** The request a curl command of the page sends (only the options the page uses). */
function asFetch(command: string): { url: string; init: RequestInit } {
  const shellWords = command.replace(/\\\n/g, " ").matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g);
  const words = [...shellWords].map(([, quoted, bare]) =>
    (quoted ?? bare!).replace(/\\(.)/g, "$1").replaceAll("$TOTP_URL", server.url).replaceAll("$TOTP_API_KEY", KEY),
  );
  const headers: Record<string, string> = {};
  const form = new URLSearchParams();
  let url = "";
  for (let i = 1; i < words.length; i++) {
    const word = words[i]!;
    if (word === "-H") {
      const [name, ...value] = words[++i]!.split(": ");
      headers[name!] = value.join(": ");
    } else if (word === "--data-urlencode") {
      const [name, ...value] = words[++i]!.split("=");
      form.append(name!, value.join("="));
    } else if (word.startsWith("-")) {
      expect(["-sS", "-i"], command).toContain(word);
    } else {
      url = word;
    }
  }
  const post = [...form].length > 0;
  return { url, init: post ? { method: "POST", headers, body: form } : { headers } };
}

describe("the hashqr image in chromium", () => {
  it(`is ${QR_SIZE} px wide and decodes (zbarimg) to the exact otpauth URI`, async () => {
    const email = `browser-${randomBytes(4).toString("hex")}@example.com`;
    const created = await fetch(`${server.url}/createuser`, {
      method: "POST",
      headers: { "X-API-Key": KEY },
      body: new URLSearchParams({ email, format: "1" }),
    });
    const user = (await created.json()) as { hash: string; hashqr: string };
    expect(user.hashqr).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/qr\/\d+\.svg\?secret=/);

    const { page, problems } = await openPage(800);
    // A blank page embedding the image, as a site shows it during enrolment.
    await page.setContent(`<img alt="QR" src="${user.hashqr}">`);
    const image = page.locator("img");
    const loaded = "document.images[0].complete && document.images[0].naturalWidth";
    await expect.poll(() => page.evaluate<number | false>(loaded)).toBe(QR_SIZE);
    expect((await image.boundingBox())?.width).toBe(QR_SIZE);
    const file = path.join(shots, "qr.png");
    await image.screenshot({ path: file });
    expect(await decodeQr(file)).toBe(
      `otpauth://totp/totp-edge:${encodeURIComponent(email)}?secret=${user.hash}&issuer=totp-edge&algorithm=SHA1&digits=6&period=30`,
    );

    // Opened by itself, the SVG renders under its own CSP (default-src 'none') without complaint.
    const answer = await page.goto(user.hashqr);
    expect(answer?.headers()["content-security-policy"]).toBe("default-src 'none'");
    expect(await page.locator("svg").getAttribute("width")).toBe(String(QR_SIZE));
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
