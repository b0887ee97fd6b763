import type { ApiError } from "../errors";
import type { FieldsAnswer } from "./answers";
import type { Json, JsonObject } from "./json";
import type { ParamSpec } from "./parameters";

export type Method = "GET" | "POST";

/** How a route answers; src/openapi/document.ts turns each kind into OpenAPI responses. */
export type AnswerSpec =
  | { kind: "fields"; answer: FieldsAnswer }
  | { kind: "api.php"; actions: readonly ApiPhpActionSpec[] }
  | { kind: "svg" }
  | { kind: "html" }
  /** Responses the route spells out itself, beside its handler. */
  | { kind: "responses"; responses: JsonObject }
  | { kind: "redirect"; location: string };

/** The 405 every route may answer, for a route's responses (src/openapi/document.ts defines it once). */
export const NOT_ALLOWED = { "405": { $ref: "#/components/responses/MethodNotAllowed" } } as const;

/**
 * One api.php action as /openapi.json and /docs describe it, declared beside its handler
 * (src/routes/api-php/*.ts): its parameters besides `action` and the key, and its answers.
 */
export interface ApiPhpActionSpec {
  name: string;
  /** What the route's description says of it; by default its own (not extension) parameters. */
  gist?: string;
  params: readonly ParamSpec[];
  answers: ApiPhpAnswers;
  /** The parameters of the docs page's example, besides `action`. */
  example: Readonly<Record<string, string>>;
}

/** An action answers one line of text ("Success: …" / "Error: …"), or JSON whatever happens (listusers). */
export type ApiPhpAnswers =
  | { format: "text"; success: string; errors: readonly ApiError[] }
  | { format: "json"; success: { name: string; value: Json }; schema: JsonObject; errors: readonly ApiError[] };

/**
 * A request for the docs page's curl examples: parameter values, and a concrete path when the
 * route has path parameters.
 */
export interface RequestExample {
  path?: string;
  params: Readonly<Record<string, string>>;
}

/**
 * What a route declares about itself, beside its handler (src/routes/*.ts): src/routes/index.ts
 * lists the routes, src/index.ts registers exactly those, and /openapi.json and /docs describe the
 * same list, so neither can miss a route or invent one.
 */
export interface RouteSpec {
  /** The docs page's anchor. */
  id: string;
  /** The path as Hono matches it (`:name{regex}` for path parameters). */
  honoPath: string;
  methods: readonly Method[];
  summary: string;
  description: string;
  /** Whether the API key is required (api_key, api or X-API-Key). */
  apiKey: boolean;
  params: readonly ParamSpec[];
  answer: AnswerSpec;
  /** At least one per route; test/node/browser-docs.test.ts sends each one to a real server. */
  examples: readonly RequestExample[];
}

const PATH_PARAM = /:(\w+)\{((?:[^{}]|\{[^{}]*\})+)\}/g;

/** `/qr/:file{regex}` → `/qr/{file}`. */
export function openApiPath(route: RouteSpec): string {
  return route.honoPath.replace(PATH_PARAM, (_, name: string) => `{${name}}`);
}

/** The path parameters with the patterns Hono matches them by. */
export function pathParams(route: RouteSpec): ParamSpec[] {
  return [...route.honoPath.matchAll(PATH_PARAM)].map(([, name, pattern]) => ({
    name: name!,
    in: "path",
    required: true,
    description: `Matches ${pattern}.`,
    schema: { type: "string", pattern: `^${pattern}$` },
    example: "",
  }));
}

/**
 * Whether HEAD is answered. Hono runs the GET handler for a HEAD request, which is harmless for
 * read-only routes but would enrol a user or spend a code on the API's routes (the contract allows
 * them GET and POST only), so those refuse it.
 */
export function answersHead(route: RouteSpec): boolean {
  return !route.methods.includes("POST");
}

/** The methods for a 405's Allow header. */
export function allowHeader(route: RouteSpec): string {
  return [...route.methods.flatMap((method) => (method === "GET" && answersHead(route) ? ["GET", "HEAD"] : [method]))].join(", ");
}
