import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { openApiDocument } from "../openapi/document";

/** GET /openapi.json: the OpenAPI 3.1 document, generated from the route table the app is built from. */
export async function openApiJson(_c: Context<AppEnv>): Promise<Response> {
  return new Response(JSON.stringify(openApiDocument()), {
    headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*" },
  });
}
