import { HttpError } from "../errors";
import { MAX_INPUT_BYTES } from "../http/params";
import { ERROR_CATALOGUE, FORMATS, renderExample, type FieldSpec, type FieldsAnswer } from "./answers";
import { apiPhpResponses } from "./api-php";
import type { JsonObject } from "./json";
import { API_KEY_SCHEMES, type ParamSpec } from "./parameters";
import { allowHeader, NOT_ALLOWED, openApiPath, pathParams, type AnswerSpec, type Method, type RouteSpec } from "./spec";

/** Bumped with the API's behaviour, not with every commit. */
export const API_VERSION = "1.0.0";
const TEXT = "text/plain; charset=utf-8";

const FORMAT_NAMES = ["PHP serialize()", "JSON", "XML", "`true`/`false`"];

/** The error codes as a Markdown table, from the same catalogue the tests check against ErrorCode. */
function errorTable(): string {
  const rows = Object.values(ERROR_CATALOGUE).map(
    ({ meaning, examples }) => `| ${examples[0]!.code} | ${meaning} | ${examples.map((e) => `\`${e.text}\``).join(", ")} |`,
  );
  return ["| code | meaning | response text |", "|---|---|---|", ...rows].join("\n");
}

function fieldsSchema(fields: readonly FieldSpec[]): JsonObject {
  return {
    type: "object",
    properties: Object.fromEntries(fields.map((field) => [field.name, field.schema])),
    required: fields.map((field) => field.name),
    description: `Fields in this order: ${fields.map((field) => field.name).join(", ")}.`,
  };
}

/** createuser/validate: the same fields in four formats, examples rendered by the server's renderer. */
function fieldsResponses(answer: FieldsAnswer): JsonObject {
  const content: Record<string, { schema: JsonObject; examples: Record<string, JsonObject> }> = {};
  for (const format of FORMATS) {
    for (const [outcome, fields] of [
      ["success", answer.success],
      ["error", answer.error],
    ] as const) {
      const { body, contentType } = renderExample(fields, format, answer.flag);
      content[contentType] ??= {
        schema: format === 1 ? { oneOf: [fieldsSchema(answer.success), fieldsSchema(answer.error)] } : { type: "string" },
        examples: {},
      };
      const media = content[contentType];
      media.examples[`format${format}-${outcome}`] = {
        summary: `format=${format} (${FORMAT_NAMES[format]}), ${outcome}`,
        value: format === 1 ? (JSON.parse(body) as JsonObject) : body,
      };
    }
  }
  return {
    "200": {
      description: `The answer, or an API error (HTTP 200 all the same: the WSO2 connector treats any status >= 400 as an I/O failure). Format 3 is \`true\`/\`false\` of \`${answer.flag}\`.`,
      content,
    },
    "405": { $ref: "#/components/responses/MethodNotAllowed" },
    "413": { $ref: "#/components/responses/PayloadTooLarge" },
    "500": { $ref: "#/components/responses/ServerError" },
  };
}

function responsesOf(answer: AnswerSpec): JsonObject {
  switch (answer.kind) {
    case "fields":
      return fieldsResponses(answer.answer);
    case "api.php":
      return apiPhpResponses(answer.actions);
    case "svg":
      return {
        "200": { description: "The QR code.", content: { "image/svg+xml": { schema: { type: "string" } } } },
        "404": { $ref: "#/components/responses/NotFound" },
        ...NOT_ALLOWED,
      };
    case "responses":
      return answer.responses;
    case "html":
      return {
        "200": { description: "An HTML page.", content: { "text/html; charset=utf-8": { schema: { type: "string" } } } },
        ...NOT_ALLOWED,
      };
    case "redirect":
      return {
        "302": {
          description: `Redirect to \`${answer.location}\`.`,
          headers: { Location: { description: "Where to go.", schema: { const: answer.location } } },
        },
        ...NOT_ALLOWED,
      };
  }
}

function parameterObject(param: ParamSpec, method: Method): JsonObject {
  const where = method === "POST" && param.in === "query" ? " In the query string or the form body." : "";
  return {
    name: param.name,
    in: param.in,
    description: param.description + where,
    // POST may carry a required parameter in the body instead of the query string.
    required: param.in === "path" || (method === "GET" && param.required === true),
    schema: param.schema,
    ...(param.example && { example: param.example }),
  };
}

function operation(route: RouteSpec, method: Method): JsonObject {
  const params = [...pathParams(route), ...route.params];
  const query = route.params.filter((param) => param.in === "query");
  return {
    operationId: `${route.id.replace(/\W/g, "")}${method === "GET" ? "Get" : "Post"}`,
    summary: route.summary,
    description: route.description,
    ...(route.apiKey && { security: Object.keys(API_KEY_SCHEMES).map((name) => ({ [name]: [] })) }),
    parameters: params.map((param) => parameterObject(param, method)),
    ...(method === "POST" && {
      requestBody: {
        required: false,
        description: `The same parameters as an urlencoded form (at most ${MAX_INPUT_BYTES} bytes); they override the query string's.`,
        content: {
          "application/x-www-form-urlencoded": {
            schema: {
              type: "object",
              properties: Object.fromEntries([
                ...(route.apiKey
                  ? [
                      ["api_key", { type: "string" }],
                      ["api", { type: "string" }],
                    ]
                  : []),
                ...query.map((param) => [param.name, param.schema]),
              ]),
            },
          },
        },
      },
    }),
    responses: responsesOf(route.answer),
  };
}

/** The OpenAPI 3.1 document of `routes`. */
export function openApiDocument(routes: readonly RouteSpec[]): JsonObject {
  return {
    openapi: "3.1.0",
    info: {
      title: "totp-edge",
      version: API_VERSION,
      summary: "A Token2 TOTPRadius-compatible two-factor authentication Web API",
      description: [
        "Enrol users with a TOTP secret (`/createuser`), check their one-time codes (`/validate`), and manage them (`/api.php`).",
        "",
        `Requests: GET, or POST with the parameters in the query string or a body (at most ${MAX_INPUT_BYTES} bytes) that is form-urlencoded, multipart/form-data or a JSON object of strings and numbers; another non-empty body type is HTTP 415. Unknown parameters are ignored; a value over 1 KiB is \`invalid parameter: NAME\`. Send the key in the X-API-Key header: Cloudflare's own logs record query strings.`,
        "",
        "API errors of createuser and validate answer HTTP 200 in the requested format with `response`, `error` (the same text) and `code`:",
        "",
        errorTable(),
        "",
        "Other statuses are transport problems: 400 malformed body, 404 unknown path, 405 method, 413 oversized, 415 body type, 429 too many wrong keys from one address, 500 server fault (plain text).",
      ].join("\n"),
    },
    servers: [{ url: "/" }],
    paths: Object.fromEntries(
      routes.map((route) => [
        openApiPath(route),
        Object.fromEntries(route.methods.map((method) => [method.toLowerCase(), operation(route, method)])),
      ]),
    ),
    components: {
      securitySchemes: API_KEY_SCHEMES,
      schemas: {
        ErrorCode: {
          type: "integer",
          enum: Object.values(ERROR_CATALOGUE).map(({ examples }) => examples[0]!.code),
          description: Object.values(ERROR_CATALOGUE)
            .map(({ meaning, examples }) => `${examples[0]!.code}: ${meaning}`)
            .join("; "),
        },
      },
      responses: {
        NotFound: plain(404, HttpError.NOT_FOUND),
        MethodNotAllowed: {
          ...plain(405, HttpError.METHOD_NOT_ALLOWED),
          headers: { Allow: { description: `The methods of this path, e.g. \`${allowHeader(routes[0]!)}\`.`, schema: { type: "string" } } },
        },
        PayloadTooLarge: plain(413, HttpError.PAYLOAD_TOO_LARGE),
        ServerError: plain(500, HttpError.SERVER_ERROR),
      },
    },
  };
}

function plain(status: HttpError["status"] | 500, text: string): JsonObject {
  return { description: `${status} ${text}`, content: { [TEXT]: { schema: { const: text } } } };
}
