import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { enrollmentUri } from "../domain/enrollment-qr";
import { HttpError } from "../errors";
import { qrSvg } from "../formats/qr-svg";
import type { ParamSpec } from "../openapi/parameters";
import type { Route } from "./route";

export const QR_ROUTE = "/qr/:file{[1-9][0-9]{0,15}\\.svg}";

export function qrPath(userId: number): string {
  return `/qr/${userId}.svg`;
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

const QR_PARAMS: readonly ParamSpec[] = [
  {
    name: "secret",
    in: "query",
    required: true,
    description: "The user's `hash`, as in the `hashqr` URL. A wrong secret or an unknown user answers 404.",
    schema: { type: "string", maxLength: 128 },
    example: "JBSWY3DPEHPK3PXP",
  },
];

export const qrRoute: Route = {
  id: "qr",
  honoPath: QR_ROUTE,
  methods: ["GET"],
  summary: "QR code of a user's secret",
  description:
    "The `hashqr` image: an SVG QR code of `otpauth://totp/ISSUER:USERNAME?secret=…`, only while the user exists and the secret matches (and, with `HIDE_QR_AFTER_CONFIRMATION=on`, only until the user is confirmed). Never cached.",
  apiKey: false,
  params: QR_PARAMS,
  answer: { kind: "svg" },
  examples: [{ path: "/qr/1.svg", params: { secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" } }],
  handler: qrImage,
};
