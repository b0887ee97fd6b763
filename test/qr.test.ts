import { env } from "cloudflare:workers";
import jsQR from "jsqr";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/index";
import { enroll, newApiKey, testApp } from "./helpers";

let key: string;
beforeAll(async () => {
  key = await newApiKey();
});

interface Svg {
  width: number;
  height: number;
  viewBox: number[];
  path: string;
}

function parseSvg(svg: string): Svg {
  const root = /^<svg ([^>]*)>/.exec(svg)![1]!;
  const attribute = (name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(root)?.[1];
  const paths = [...svg.matchAll(/<path[^>]* d="([^"]+)"/g)].map((m) => m[1]!);
  expect(paths).toHaveLength(1);
  return {
    width: Number(attribute("width")),
    height: Number(attribute("height")),
    viewBox: attribute("viewBox")!.split(" ").map(Number),
    path: paths[0]!,
  };
}

/**
 * Follows the path's moveto/lineto commands (M m H h V v Z z, integer arguments) and fills each
 * subpath's bounding box: the server draws the dark modules as rectangles. The result is a white
 * RGBA canvas, `scale` pixels per module, for an independent decoder (jsQR).
 */
function rasterize(svg: Svg, scale = 4): { data: Uint8ClampedArray; width: number; height: number } {
  const [, , w, h] = svg.viewBox as [number, number, number, number];
  const width = w * scale;
  const height = h * scale;
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  const fill = (points: Array<[number, number]>) => {
    const xs = points.map(([x]) => x);
    const ys = points.map(([, y]) => y);
    for (let y = Math.min(...ys) * scale; y < Math.max(...ys) * scale; y++) {
      for (let x = Math.min(...xs) * scale; x < Math.max(...xs) * scale; x++) {
        data.fill(0, (y * width + x) * 4, (y * width + x) * 4 + 3);
      }
    }
  };
  let [x, y] = [0, 0];
  let started = false;
  let subpath: Array<[number, number]> = [];
  for (const [, command, argument] of svg.path.matchAll(/([MmHhVvZz])(-?\d+(?: -?\d+)?)?/g)) {
    const [a = 0, b = 0] = (argument ?? "").split(" ").map(Number);
    switch (command) {
      case "M":
      case "m":
        if (subpath.length) fill(subpath);
        // A path's first moveto is absolute even when written `m` (SVG 1.1, 8.3.3).
        [x, y] = command === "M" || !started ? [a, b] : [x + a, y + b];
        started = true;
        subpath = [[x, y]];
        continue;
      case "h":
      case "H":
        x = command === "h" ? x + a : a;
        break;
      case "v":
      case "V":
        y = command === "v" ? y + a : a;
        break;
      default:
        // z: the pen goes back to the subpath's start, where the next relative move begins.
        fill(subpath);
        [x, y] = subpath[0]!;
        subpath = [];
        continue;
    }
    subpath.push([x, y]);
  }
  if (subpath.length) fill(subpath);
  return { data, width, height };
}

const otpauth = (email: string, secret: string) =>
  `otpauth://totp/totp-edge:${encodeURIComponent(email)}?secret=${secret}&issuer=totp-edge&algorithm=SHA1&digits=6&period=30`;

describe("QR enrollment image (hashqr)", () => {
  it("serves an SVG that decodes to the exact otpauth URI, uncached, without referrer", async () => {
    const call = testApp();
    const user = await enroll(call, key, `qr-${Date.now()}@example.com`);
    const url = new URL(user.hashqr);
    const res = await call(url.pathname + url.search);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/svg+xml");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("content-security-policy")).toBe("default-src 'none'");
    const body = await res.text();
    const svg = parseSvg(body);
    const { data, width, height } = rasterize(svg);
    expect(jsQR(data, width, height)?.data).toBe(otpauth(user.email, user.secret));
  });

  it("is QR_SIZE px square (default 256), drawn in module units with a 4-module quiet zone", async () => {
    const call = testApp();
    const user = await enroll(call, key);
    const url = new URL(user.hashqr);
    const body = await (await call(url.pathname + url.search)).text();
    const svg = parseSvg(body);
    expect([svg.width, svg.height]).toEqual([256, 256]);
    // A version 1-40 code has 21-177 modules a side, plus 4 white modules on each side.
    const [x0, y0, w, h] = svg.viewBox;
    expect([x0, y0, w === h]).toEqual([0, 0, true]);
    expect((w! - 8 - 21) % 4).toBe(0);
    expect(body).toContain('shape-rendering="crispEdges"');
    expect(body).toMatch(new RegExp(`<rect width="${w}" height="${w}" fill="#fff"/>`));
    // One path of integer coordinates.
    expect(svg.path).toMatch(/^M[-\d hvzm]+$/);
    // qrcode-svg's own output was 57 KB for a code this size.
    expect(body.length).toBeLessThan(12 * 1024);
    const { data, width, height } = rasterize(svg);
    expect(jsQR(data, width, height)?.data).toBe(otpauth(user.email, user.secret));
  });

  it("takes its size from QR_SIZE", async () => {
    const app = createApp();
    const call = async (path: string) => app.fetch(new Request(`https://totp.test${path}`), { ...env, QR_SIZE: "400" });
    const user = await enroll(call, key);
    const url = new URL(user.hashqr);
    const svg = parseSvg(await (await call(url.pathname + url.search)).text());
    expect([svg.width, svg.height]).toEqual([400, 400]);
  });

  it("answers 404 for a wrong, missing or other user's secret and for an unknown user", async () => {
    const call = testApp();
    const a = await enroll(call, key);
    const b = await enroll(call, key);
    const wrong = a.secret.slice(0, -1) + (a.secret.endsWith("A") ? "B" : "A");
    for (const path of [
      `/qr/${a.userId}.svg?secret=${wrong}`,
      `/qr/${a.userId}.svg`,
      `/qr/${a.userId}.svg?secret=${b.secret}`,
      `/qr/${a.userId}.svg?secret=${a.secret.toLowerCase()}`,
      `/qr/999999999.svg?secret=${a.secret}`,
      `/qr/${a.userId}.png?secret=${a.secret}`,
    ]) {
      const res = await call(path);
      expect([path, res.status]).toEqual([path, 404]);
    }
  });
});
