import { listUsersJson, type ListWindow } from "../../domain/local-users";
import { ApiError } from "../../errors";
import { jsonArrayStream } from "../../formats/json-array-stream";
import type { Params } from "../../http/params";
import { textSchema } from "../../openapi/parameters";
import { type ApiPhpAction, JSON_TYPE } from "./action";

/** An optional non-negative integer parameter (the limit/offset extension of listusers). */
function count(params: Params, name: string, min: number): number | undefined {
  const raw = params.get(name);
  if (raw === undefined || raw === "") return undefined;
  if (!/^[0-9]{1,9}$/.test(raw) || Number(raw) < min) throw ApiError.invalid(name);
  return Number(raw);
}

const USER_SCHEMA = {
  type: "object",
  properties: {
    userid: { type: "integer" },
    username: { type: "string" },
    timestamp: { type: "integer", description: "Registration time, Unix seconds." },
  },
  required: ["userid", "username", "timestamp"],
};

/** Every user, ordered by userid, streamed as one compact JSON array; errors answer JSON too (the seed says so). */
export const listUsersAction: ApiPhpAction = {
  name: "listusers",
  gist: "JSON array ordered by userid",
  params: [
    {
      name: "limit",
      in: "query",
      description: "at most this many users.",
      schema: textSchema({ pattern: "^[0-9]{1,9}$" }),
      example: "100",
      extension: true,
    },
    {
      name: "offset",
      in: "query",
      description: "skip this many users first.",
      schema: textSchema({ pattern: "^[0-9]{1,9}$" }),
      example: "0",
      extension: true,
    },
  ],
  answers: {
    format: "json",
    success: { name: "users", value: [{ userid: 1, username: "alice@example.com", timestamp: 1732500000 }] },
    schema: { type: "array", items: USER_SCHEMA },
    errors: [ApiError.invalidApiKey(), ApiError.invalid("limit"), ApiError.invalid("offset")],
  },
  example: {},
  async run(c, params, caller) {
    const window: ListWindow = { limit: count(params, "limit", 1), offset: count(params, "offset", 0) };
    const pages = await listUsersJson(c.var.deps, caller, window);
    const body = jsonArrayStream(pages, (error) =>
      // The kind only: a D1 message could quote usernames.
      console.error(
        JSON.stringify({ level: "error", event: "listusers_stream_failed", kind: error instanceof Error ? error.name : typeof error }),
      ),
    );
    return new Response(body, { headers: { "Content-Type": JSON_TYPE } });
  },
};
