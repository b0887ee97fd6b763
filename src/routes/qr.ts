import type { Context } from "hono";
import QRCode from "qrcode-svg";
import type { AppEnv } from "../app-env";
import { enrollmentUri } from "../domain/enrollment-qr";
import { HttpError } from "../errors";
import { QR_PARAMS } from "../openapi/parameters";
import type { Route } from "./route";

export const QR_ROUTE = "/qr/:file{[1-9][0-9]{0,15}\\.svg}";

/** The white border readers need around the code: 4 modules (ISO/IEC 18004, quiet zone). */
const QR_QUIET_ZONE = 4;

export function qrPath(userId: number): string {
  return `/qr/${userId}.svg`;
}

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The dark modules as rectangles: horizontal runs of each row, and a run that repeats one row
 * down (same start, same length) grows the rectangle above instead of starting a new one.
 */
function darkRects(modules: readonly (readonly boolean[])[]): Rect[] {
  const done: Rect[] = [];
  let open = new Map<string, Rect>();
  modules.forEach((row, y) => {
    const next = new Map<string, Rect>();
    for (let x = 0; x < row.length; x++) {
      if (!row[x]) continue;
      const start = x;
      while (row[x + 1]) x++;
      const key = `${start},${x - start + 1}`;
      const rect = open.get(key) ?? { x: start, y, width: x - start + 1, height: 0 };
      rect.height++;
      next.set(key, rect);
    }
    for (const [key, rect] of open) if (!next.has(key)) done.push(rect);
    open = next;
  });
  done.push(...open.values());
  return done.sort((a, b) => a.y - b.y || a.x - b.x);
}

/**
 * One path of integer coordinates in module units. Each rectangle is a relative move from the
 * previous one's corner (where `z` leaves the pen), so most numbers have one or two digits.
 */
function pathData(rects: readonly Rect[], offset: number): string {
  let x = 0;
  let y = 0;
  let d = "";
  for (const rect of rects) {
    const rx = rect.x + offset;
    const ry = rect.y + offset;
    // The first command must be absolute: a leading `m` is, by the SVG spec, but `M` says so.
    d += `${d ? "m" : "M"}${rx - x} ${ry - y}h${rect.width}v${rect.height}h-${rect.width}z`;
    x = rx;
    y = ry;
  }
  return d;
}

/**
 * The QR code of `content` as a small SVG, `size` px square. qrcode-svg encodes; we draw, because
 * its own output has no width/height with a viewBox and writes every module as a separate
 * fractional-pixel rectangle (57 KB for a version 8 code).
 */
function qrSvg(content: string, size: number): string {
  const { modules } = new QRCode({ content, ecl: "M" }).qrcode;
  const side = modules.length + 2 * QR_QUIET_ZONE;
  // crispEdges: no anti-aliased seams between neighbouring rectangles at any scale.
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" ` +
    `viewBox="0 0 ${side} ${side}" shape-rendering="crispEdges">` +
    `<rect width="${side}" height="${side}" fill="#fff"/>` +
    `<path d="${pathData(darkRects(modules), QR_QUIET_ZONE)}"/></svg>`
  );
}

/** The hashqr image: an SVG QR code of the otpauth URI, only for the right secret, never cached. */
async function qrImage(c: Context<AppEnv>): Promise<Response> {
  const userId = Number(c.req.param("file")!.slice(0, -".svg".length));
  const secret = c.req.query("secret") ?? "";
  const uri = secret.length <= 128 ? await enrollmentUri(c.var.deps, userId, secret) : null;
  if (!uri) throw HttpError.notFound();
  return new Response(qrSvg(uri, c.var.deps.config.qrSize), {
    headers: {
      "Content-Type": "image/svg+xml",
      "Referrer-Policy": "no-referrer",
      // The image encodes the secret: keep it out of shared caches and browser history caches.
      "Cache-Control": "no-store",
      // Opened directly, an SVG is a document: it may run nothing and load nothing.
      "Content-Security-Policy": "default-src 'none'",
    },
  });
}

export const qrRoute: Route = {
  id: "qr",
  honoPath: QR_ROUTE,
  methods: ["GET"],
  summary: "QR code of a user's secret",
  description:
    "The `hashqr` image: an SVG QR code of `otpauth://totp/ISSUER:USERNAME?secret=…`, only while the user exists and the secret matches. Never cached.",
  apiKey: false,
  params: QR_PARAMS,
  answer: { kind: "svg" },
  examples: [{ path: "/qr/1.svg", params: { secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" } }],
  handler: qrImage,
};
