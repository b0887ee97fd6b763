import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { routeOf } from "../openapi/routes";

/** What one request log line holds: never a query string, key, secret, token or password. */
export interface RequestLogLine {
  level: "info";
  event: "request";
  method: string;
  /** The path for routes the API serves (their paths hold no secrets), else "(unmatched)": a stray path could hold anything. */
  path: string;
  status: number;
  /** Wall time in milliseconds (in Workers, the clock moves only across I/O). */
  ms: number;
  /** The id (never the key) of the API key the request was made with, once it was found valid. */
  apiKeyId?: number;
}

/** One JSON line per request, written after the answer is known (errors included: onError has run by then). */
export function requestLog(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    // Without deps the configuration itself failed: that request is logged whatever REQUEST_LOG says.
    if (c.var.deps?.config.requestLog === false) return;
    const pathname = new URL(c.req.url).pathname;
    const line: RequestLogLine = {
      level: "info",
      event: "request",
      // Workers only deliver valid method tokens; the cap keeps a line short whatever arrives.
      method: c.req.method.slice(0, 16),
      path: routeOf(pathname) ? pathname : "(unmatched)",
      status: c.res.status,
      ms: Math.round(performance.now() - started),
      ...(c.var.deps?.caller.apiKeyId !== undefined && { apiKeyId: c.var.deps.caller.apiKeyId }),
    };
    console.log(JSON.stringify(line));
  };
}
