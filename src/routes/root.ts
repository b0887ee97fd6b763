import type { Context } from "hono";
import type { AppEnv } from "../app-env";

export const DOCS_PATH = "/docs";

/**
 * GET /: people who open the server's bare origin land on the API's page. 302, not a permanent
 * redirect, so that the root can later serve something else without browsers remembering this.
 */
export async function rootRedirect(c: Context<AppEnv>): Promise<Response> {
  return c.redirect(DOCS_PATH, 302);
}
