import { openApiDocument } from "../openapi/document";
import { NOT_ALLOWED, type RouteSpec } from "../openapi/spec";
import type { Route } from "./route";

/** GET /openapi.json: the OpenAPI 3.1 document of `routes()`, the list the app is built from. */
export function openApiRoute(routes: () => readonly RouteSpec[]): Route {
  let body: string | undefined;
  return {
    id: "openapi",
    honoPath: "/openapi.json",
    methods: ["GET"],
    summary: "This document",
    description: "The OpenAPI 3.1 description of every route, generated from the server's own route list.",
    apiKey: false,
    params: [],
    answer: {
      kind: "responses",
      responses: {
        "200": { description: "This document.", content: { "application/json": { schema: { type: "object" } } } },
        ...NOT_ALLOWED,
      },
    },
    examples: [{ params: {} }],
    async handler() {
      // Origin-independent (servers: "/"), so built once per isolate.
      body ??= JSON.stringify(openApiDocument(routes()));
      return new Response(body, {
        headers: {
          "Content-Type": "application/json; charset=utf-8",
          "Cache-Control": "public, max-age=300",
          "Access-Control-Allow-Origin": "*",
        },
      });
    },
  };
}
