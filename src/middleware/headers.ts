import type { MiddlewareHandler } from "hono";

/**
 * The headers of every answer, set after the handler (and onError) ran: no content sniffing, and
 * nothing cached unless the route says otherwise (/openapi.json and /docs may be).
 */
export function defaultHeaders(): MiddlewareHandler {
  return async function defaultHeaders(c, next) {
    await next();
    c.res.headers.set("X-Content-Type-Options", "nosniff");
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
  };
}
