import type { Context } from "hono";
import QRCode from "qrcode-svg";
import type { AppEnv } from "../app-env";
import { enrollmentUri } from "../domain/enrollment-qr";
import { HttpError } from "../errors";

export const QR_ROUTE = "/qr/:file{[1-9][0-9]{0,15}\\.svg}";

export function qrPath(userId: number): string {
  return `/qr/${userId}.svg`;
}

/** The hashqr image: an SVG QR code of the otpauth URI, only for the right secret, never cached. */
export async function qrImage(c: Context<AppEnv>): Promise<Response> {
  const userId = Number(c.req.param("file")!.slice(0, -".svg".length));
  const secret = c.req.query("secret") ?? "";
  const uri = secret.length <= 128 ? await enrollmentUri(c.var.deps, userId, secret) : null;
  if (!uri) throw new HttpError(404, "Not Found");
  const svg = new QRCode({ content: uri, ecl: "M", padding: 4, width: c.var.deps.config.qrSize, height: c.var.deps.config.qrSize, join: true, container: "svg-viewbox" }).svg();
  return new Response(svg, {
    headers: {
      "Content-Type": "image/svg+xml",
      "Referrer-Policy": "no-referrer",
      // The image encodes the secret: keep it out of shared caches and browser history caches.
      "Cache-Control": "no-store",
    },
  });
}
