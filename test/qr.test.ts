import jsQR from "jsqr";
import { beforeAll, describe, expect, it } from "vitest";
import { enroll, newApiKey, testApp } from "./helpers";

let key: string;
beforeAll(async () => {
  key = await newApiKey();
});

/**
 * Rasterizes the SVG's dark rectangles (qrcode-svg writes each module as an "M x,y V y2 H x2 V y H x Z"
 * path segment) onto a white RGBA canvas, so that an independent decoder (jsQR) can read it.
 */
function rasterize(svg: string, scale = 2): { data: Uint8ClampedArray; width: number; height: number } {
  const [, w, h] = /viewBox="0 0 ([\d.]+) ([\d.]+)"/.exec(svg)!;
  const width = Math.ceil(Number(w) * scale);
  const height = Math.ceil(Number(h) * scale);
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  const path = /<path[^>]* d="([^"]+)"/.exec(svg)![1]!;
  for (const [, x1, y1, y2, x2] of path.matchAll(/M([\d.]+),([\d.]+) V([\d.]+) H([\d.]+) V[\d.]+ H[\d.]+ Z/g)) {
    for (let y = Math.round(Number(y1) * scale); y < Math.round(Number(y2) * scale); y++) {
      for (let x = Math.round(Number(x1) * scale); x < Math.round(Number(x2) * scale); x++) {
        data.fill(0, (y * width + x) * 4, (y * width + x) * 4 + 3);
      }
    }
  }
  return { data, width, height };
}

describe("QR enrollment image (hashqr)", () => {
  it("serves an SVG that decodes to the exact otpauth URI, uncached and without referrer", async () => {
    const call = testApp();
    const user = await enroll(call, key, `qr-${Date.now()}@example.com`);
    const url = new URL(user.hashqr);
    const res = await call(url.pathname + url.search);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/svg+xml");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    const { data, width, height } = rasterize(await res.text());
    const decoded = jsQR(data, width, height);
    expect(decoded?.data).toBe(
      `otpauth://totp/totp-edge:${encodeURIComponent(user.email)}?secret=${user.secret}&issuer=totp-edge&algorithm=SHA1&digits=6&period=30`,
    );
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
