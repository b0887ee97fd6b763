import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { changeLocalPassword, deleteLocalUser, listUsersJson, type ListWindow } from "../domain/local-users";
import type { Caller } from "../domain/api-key";
import { refuseInvisible } from "../domain/identity";
import { ApiError } from "../errors";
import { jsonArrayStream } from "../formats/json-array-stream";
import { Params } from "../http/params";
import { errorOutcome } from "../http/request-log";
import { textResponse } from "../http/respond";
import { apiPhpErrorText, PASSWORD_CHANGED, USER_DELETED } from "../messages";
import { API_PHP_PARAMS } from "../openapi/parameters";
import { callerOf, keyOutranks } from "./api-endpoint";
import type { Route } from "./route";

const JSON_TYPE = "application/json; charset=utf-8";

/**
 * The appliance's /api.php: `action` selects. Answers are plain text "Success: …" / "Error: …"
 * with HTTP 200, except listusers, which speaks JSON only (the seed says so).
 */
async function apiPhp(c: Context<AppEnv>): Promise<Response> {
  const params = await Params.fromRequest(c.req.raw);
  const caller = callerOf(c, params);
  let action: string | undefined;
  try {
    action = params.get("action");
    const response = await runAction(c, params, caller, action);
    c.set("outcome", "done");
    return response;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const answer = await keyOutranks(c, caller, error);
    c.set("outcome", errorOutcome(answer));
    if (action === "listusers") return jsonError(answer.text);
    return textResponse(apiPhpErrorText(answer.text));
  }
}

async function runAction(c: Context<AppEnv>, params: Params, caller: Caller, action: string | undefined): Promise<Response> {
  switch (action) {
    case "listusers":
      return await listUsersAction(c, params, caller);
    case "changelocaluserpassword":
      await changeLocalPassword(c.var.deps, caller, userParam(params), passwordOf(params));
      return textResponse(PASSWORD_CHANGED);
    case "deletelocaluser":
      await deleteLocalUser(c.var.deps, caller, userParam(params));
      return textResponse(USER_DELETED);
    default:
      throw ApiError.unknownAction();
  }
}

async function listUsersAction(c: Context<AppEnv>, params: Params, caller: Caller): Promise<Response> {
  const window: ListWindow = { limit: count(params, "limit", 1), offset: count(params, "offset", 0) };
  const pages = await listUsersJson(c.var.deps, caller, window);
  const body = jsonArrayStream(pages, (error) =>
    // The kind only: a D1 message could quote usernames.
    console.error(
      JSON.stringify({ level: "error", event: "listusers_stream_failed", kind: error instanceof Error ? error.name : typeof error }),
    ),
  );
  return new Response(body, { headers: { "Content-Type": JSON_TYPE } });
}

function jsonError(text: string): Response {
  return new Response(JSON.stringify({ error: text }), { headers: { "Content-Type": JSON_TYPE } });
}

/** No user can have a name with an invisible character (src/domain/identity.ts): such a `user` is refused, not looked for. */
function userParam(params: Params): string {
  return refuseInvisible(required(params, "user"), "user");
}

function required(params: Params, name: string): string {
  const value = params.get(name);
  if (!value) throw ApiError.missing(name);
  return value;
}

/** The new password: present (an empty one is merely too short); over 1 KiB, an invalid parameter. */
function passwordOf(params: Params): string {
  const password = params.get("localpassword");
  if (password === undefined) throw ApiError.missing("localpassword");
  return password;
}

/** An optional non-negative integer parameter (the limit/offset extension of listusers). */
function count(params: Params, name: string, min: number): number | undefined {
  const raw = params.get(name);
  if (raw === undefined || raw === "") return undefined;
  if (!/^[0-9]{1,9}$/.test(raw) || Number(raw) < min) throw ApiError.invalid(name);
  return Number(raw);
}

export const apiPhpRoute: Route = {
  id: "api.php",
  honoPath: "/api.php",
  methods: ["GET", "POST"],
  summary: "Manage users (TOTPRadius api.php)",
  description:
    "`action` selects: `listusers` (JSON array ordered by userid), `changelocaluserpassword` (`user`, `localpassword`), `deletelocaluser` (`user`). Errors are plain text `Error: …` with HTTP 200, except listusers, which always answers JSON.",
  apiKey: true,
  params: API_PHP_PARAMS,
  answer: { kind: "api.php" },
  examples: [
    { params: { action: "listusers" } },
    { params: { action: "changelocaluserpassword", user: "alice@example.com", localpassword: "correct horse" } },
    { params: { action: "deletelocaluser", user: "alice@example.com" } },
  ],
  handler: apiPhp,
};
