import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import type { RouteSpec } from "../openapi/spec";

/** A route: what it declares about itself (documented in /openapi.json and /docs), and its handler. */
export interface Route extends RouteSpec {
  handler: (c: Context<AppEnv>) => Promise<Response>;
}
