import type { Context } from "hono";
import type { AppEnv } from "../../app-env";
import { ApiError } from "../../errors";
import { Params } from "../../http/params";
import { errorOutcome } from "../../http/outcome";
import { textResponse } from "../../http/respond";
import { apiPhpErrorText } from "../../messages";
import { apiPhpDescription, apiPhpParams } from "../../openapi/api-php";
import { callerOf, keyOutranks } from "../api-endpoint";
import type { Route } from "../route";
import { type ApiPhpAction, JSON_TYPE } from "./action";
import { changeLocalUserPasswordAction } from "./changelocaluserpassword";
import { deleteLocalUserAction } from "./deletelocaluser";
import { listUsersAction } from "./listusers";

/**
 * The actions, each declared beside its handler: the route runs the one `action` names, and
 * /openapi.json and /docs describe this list (in this order). A new action: its file and an entry here.
 */
const API_PHP_ACTIONS: readonly ApiPhpAction[] = [listUsersAction, changeLocalUserPasswordAction, deleteLocalUserAction];

const byName = new Map(API_PHP_ACTIONS.map((action) => [action.name, action]));

/**
 * The appliance's /api.php: `action` selects. Answers are plain text "Success: …" / "Error: …"
 * with HTTP 200, except listusers, which speaks JSON only (the seed says so).
 */
async function apiPhp(c: Context<AppEnv>): Promise<Response> {
  const params = await Params.fromRequest(c.req.raw);
  const caller = callerOf(c, params);
  let action: ApiPhpAction | undefined;
  try {
    const name = params.get("action");
    action = name === undefined ? undefined : byName.get(name);
    if (!action) throw ApiError.unknownAction();
    const response = await action.run(c, params, caller);
    c.set("outcome", "done");
    return response;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const answer = await keyOutranks(c, caller, error);
    c.set("outcome", errorOutcome(answer));
    if (action?.answers.format === "json")
      return new Response(JSON.stringify({ error: answer.text }), { headers: { "Content-Type": JSON_TYPE } });
    return textResponse(apiPhpErrorText(answer.text));
  }
}

export const apiPhpRoute: Route = {
  id: "api.php",
  honoPath: "/api.php",
  methods: ["GET", "POST"],
  summary: "Manage users (TOTPRadius api.php)",
  description: apiPhpDescription(API_PHP_ACTIONS),
  apiKey: true,
  params: apiPhpParams(API_PHP_ACTIONS),
  answer: { kind: "api.php", actions: API_PHP_ACTIONS },
  examples: API_PHP_ACTIONS.map((action) => ({ params: { action: action.name, ...action.example } })),
  handler: apiPhp,
};
