import type { Context } from "hono";
import type { AppEnv } from "../../app-env";
import type { Caller } from "../../domain/api-key";
import { refuseInvisible } from "../../domain/identity";
import { ApiError } from "../../errors";
import type { Params } from "../../http/params";
import { type ParamSpec, textSchema } from "../../openapi/parameters";
import type { ApiPhpActionSpec } from "../../openapi/spec";

/**
 * One api.php action: what /openapi.json and /docs say of it, and what it does. An action is a
 * file of this folder and an entry of API_PHP_ACTIONS (./index.ts); a refusal throws ApiError,
 * which the route renders in the action's format.
 */
export interface ApiPhpAction extends ApiPhpActionSpec {
  run: (c: Context<AppEnv>, params: Params, caller: Caller) => Promise<Response>;
}

/** listusers's answers, errors included (the seed: JSON only). */
export const JSON_TYPE = "application/json; charset=utf-8";

/** The user an action names, by createuser's uniqueness key (src/domain/identity.ts). */
export const USER_PARAM: ParamSpec = {
  name: "user",
  in: "query",
  description: "the username.",
  schema: textSchema(),
  example: "alice@example.com",
};

/** No user can have a name with an invisible character (src/domain/identity.ts): such a `user` is refused, not looked for. */
export function userParam(params: Params): string {
  const value = params.get("user");
  if (!value) throw ApiError.missing("user");
  return refuseInvisible(value, "user");
}
