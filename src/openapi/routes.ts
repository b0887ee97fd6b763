import { QR_ROUTE } from "../routes/qr";
import { DOCS_PATH } from "../routes/root";
import { CREATEUSER_ANSWER, VALIDATE_ANSWER, type FieldsAnswer } from "./answers";
import { API_PHP_PARAMS, CREATEUSER_PARAMS, QR_PARAMS, VALIDATE_PARAMS, type ParamSpec } from "./parameters";

export type Method = "GET" | "POST";

/** How a route answers; src/openapi/document.ts turns each kind into OpenAPI responses. */
export type AnswerSpec =
  | { kind: "fields"; answer: FieldsAnswer }
  | { kind: "api.php" }
  | { kind: "svg" }
  | { kind: "health" }
  | { kind: "openapi" }
  | { kind: "html" }
  | { kind: "redirect"; location: string };

/**
 * A request for the docs page's curl examples: parameter values, and a concrete path when the
 * route has path parameters.
 */
export interface RequestExample {
  path?: string;
  params: Readonly<Record<string, string>>;
}

export interface RouteSpec {
  id: RouteId;
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

export type RouteId = "createuser" | "validate" | "api.php" | "qr" | "healthz" | "openapi" | "docs" | "root";

/**
 * Every route the server answers. src/index.ts registers exactly these (paths and methods) and the
 * OpenAPI generator walks the same list, so the document cannot miss a route or invent one.
 */
export const ROUTES: readonly RouteSpec[] = [
  {
    id: "createuser",
    honoPath: "/createuser",
    methods: ["GET", "POST"],
    summary: "Enrol a user",
    description: "Creates a user with a new TOTP secret and answers the secret (`hash`) and a QR code URL (`hashqr`) for authenticator apps.",
    apiKey: true,
    params: CREATEUSER_PARAMS,
    answer: { kind: "fields", answer: CREATEUSER_ANSWER },
    examples: [{ params: { email: "alice@example.com", format: "1" } }],
  },
  {
    id: "validate",
    honoPath: "/validate",
    methods: ["GET", "POST"],
    summary: "Check a one-time code",
    description: "Checks a 6-digit TOTP code (RFC 6238, SHA-1, 30 s, ±1 step by default). A code is accepted once; after repeated failures the user is locked for a while (code 6).",
    apiKey: true,
    params: VALIDATE_PARAMS,
    answer: { kind: "fields", answer: VALIDATE_ANSWER },
    examples: [{ params: { userid: "1", token: "123456", format: "1" } }],
  },
  {
    id: "api.php",
    honoPath: "/api.php",
    methods: ["GET", "POST"],
    summary: "Manage users (TOTPRadius api.php)",
    description: "`action` selects: `listusers` (JSON array ordered by userid), `changelocaluserpassword` (`user`, `localpassword`), `deletelocaluser` (`user`). Errors are plain text `Error: …` with HTTP 200, except listusers, which always answers JSON.",
    apiKey: true,
    params: API_PHP_PARAMS,
    answer: { kind: "api.php" },
    examples: [
      { params: { action: "listusers" } },
      {
        params: { action: "changelocaluserpassword", user: "alice@example.com", localpassword: "correct horse" },
      },
      { params: { action: "deletelocaluser", user: "alice@example.com" } },
    ],
  },
  {
    id: "qr",
    honoPath: QR_ROUTE,
    methods: ["GET"],
    summary: "QR code of a user's secret",
    description: "The `hashqr` image: an SVG QR code of `otpauth://totp/ISSUER:USERNAME?secret=…`, only while the user exists and the secret matches. Never cached.",
    apiKey: false,
    params: QR_PARAMS,
    answer: { kind: "svg" },
    examples: [{ path: "/qr/1.svg", params: { secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" } }],
  },
  {
    id: "healthz",
    honoPath: "/healthz",
    methods: ["GET"],
    summary: "Health check",
    description: "One indexed D1 read: 200 when the database answers, 503 when it does not.",
    apiKey: false,
    params: [],
    answer: { kind: "health" },
    examples: [{ params: {} }],
  },
  {
    id: "openapi",
    honoPath: "/openapi.json",
    methods: ["GET"],
    summary: "This document",
    description: "The OpenAPI 3.1 description of every route, generated from the server's own route table.",
    apiKey: false,
    params: [],
    answer: { kind: "openapi" },
    examples: [{ params: {} }],
  },
  {
    id: "docs",
    honoPath: DOCS_PATH,
    methods: ["GET"],
    summary: "This document as a web page",
    description: "Endpoints, parameters, formats and error codes, as HTML.",
    apiKey: false,
    params: [],
    answer: { kind: "html" },
    examples: [{ params: {} }],
  },
  {
    id: "root",
    honoPath: "/",
    methods: ["GET"],
    summary: "Redirect to the docs page",
    description: `Answers 302 with \`Location: ${DOCS_PATH}\`, for people who open the server's address.`,
    apiKey: false,
    params: [],
    answer: { kind: "redirect", location: DOCS_PATH },
    examples: [{ params: {} }],
  },
];

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

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The Hono path as one regex; a trailing slash is tolerated, as by the app (Hono's strict: false). */
function pathRegex(honoPath: string): RegExp {
  let source = "";
  let last = 0;
  for (const match of honoPath.matchAll(PATH_PARAM)) {
    source += `${escapeRegex(honoPath.slice(last, match.index))}(?:${match[2]})`;
    last = match.index + match[0].length;
  }
  return new RegExp(`^${source}${escapeRegex(honoPath.slice(last))}/?$`);
}

const matchers = ROUTES.map((route) => ({ route, regex: pathRegex(route.honoPath) }));

/** The route a path belongs to, if any (the request log names only known paths). */
export function routeOf(pathname: string): RouteSpec | undefined {
  return matchers.find(({ regex }) => regex.test(pathname))?.route;
}
