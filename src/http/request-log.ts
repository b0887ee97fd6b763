import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AppEnv } from "../app-env";
import type { Outcome } from "./outcome";

/** What one request log line holds: never a query string, key, secret, token or password. */
interface RequestLogLine {
  level: "info";
  event: "request";
  method: string;
  /**
   * The route that answered, as registered (e.g. "/validate", "/qr/:file{…}"), else "(unmatched)":
   * a stray path could hold anything, and a percent-encoded one ("/%76alidate") is still the route.
   */
  route: string;
  status: number;
  /** Wall time in milliseconds (in Workers, the clock moves only across I/O). */
  ms: number;
  /** The API outcome, for the API's routes. */
  outcome?: Outcome;
  /** The id (never the key) of the API key the request was made with, once it was found valid. */
  apiKeyId?: number;
}

/** Middleware is registered for every path ("*"); a route's own path is anything else. */
const MIDDLEWARE_PATHS = new Set(["*", "/*"]);

/** One JSON line per request, written after the answer is known (errors included: onError has run by then). */
export function requestLog(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    // Without deps the configuration itself failed: that request is logged whatever REQUEST_LOG says.
    if (c.var.deps?.config.requestLog === false) return;
    const route = routePath(c, -1);
    const outcome = c.res.status === 429 ? "rate_limited" : c.var.outcome;
    const line: RequestLogLine = {
      level: "info",
      event: "request",
      // Workers only deliver valid method tokens; the cap keeps a line short whatever arrives.
      method: c.req.method.slice(0, 16),
      route: MIDDLEWARE_PATHS.has(route) ? "(unmatched)" : route,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
      ...(outcome !== undefined && { outcome }),
      ...(c.var.caller?.apiKeyId !== undefined && { apiKeyId: c.var.caller.apiKeyId }),
    };
    console.log(JSON.stringify(line));
  };
}
