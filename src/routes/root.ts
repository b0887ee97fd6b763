import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import type { Route } from "./route";

export const DOCS_PATH = "/docs";

/**
 * GET /: people who open the server's bare origin land on the API's page. 302, not a permanent
 * redirect, so that the root can later serve something else without browsers remembering this.
 */
async function rootRedirect(c: Context<AppEnv>): Promise<Response> {
  return c.redirect(DOCS_PATH, 302);
}

export const rootRoute: Route = {
  id: "root",
  honoPath: "/",
  methods: ["GET"],
  summary: "Redirect to the docs page",
  description: `Answers 302 with \`Location: ${DOCS_PATH}\`, for people who open the server's address.`,
  apiKey: false,
  params: [],
  answer: { kind: "redirect", location: DOCS_PATH },
  examples: [{ params: {} }],
  handler: rootRedirect,
};
