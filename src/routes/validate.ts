import { requireApiKey } from "../domain/api-key";
import { verifyToken } from "../domain/verification";
import { ApiError } from "../errors";
import type { Fields } from "../formats/fields";
import type { Params } from "../http/params";
import { apiEndpoint, apiKeyOf } from "./api-endpoint";

const USER_ID = /^[1-9][0-9]{0,15}$/;

/** The answer to `send=1` without a token: our users' codes come from an app, never by SMS. */
export const CODE_REQUESTED = "enter the code from your authenticator app";

function userIdOf(params: Params): number {
  const raw = params.get("userid")?.trim();
  if (!raw) throw ApiError.missing("userid");
  if (!USER_ID.test(raw) || !Number.isSafeInteger(Number(raw))) throw ApiError.invalid("userid");
  return Number(raw);
}

function tokenOf(params: Params, digits: number): string {
  const token = params.get("token")?.trim();
  if (!token) throw ApiError.missing("token");
  if (token.length !== digits || !/^[0-9]+$/.test(token)) throw ApiError.invalid("token");
  return token;
}

/** The userid echoed in answers: the requested id as an integer, or "" when absent or not a number. */
function echoedUserId(params: Params): number | string {
  try {
    return userIdOf(params);
  } catch {
    return "";
  }
}

/**
 * `send=1` without a token is the Token2 Cloud API's "send me a code": the WordPress plugin calls
 * it on every login page and prints `response` above the code field. It needs a valid key and
 * counts nothing.
 */
function codeRequested(params: Params): boolean {
  return params.get("send")?.trim() === "1" && !params.get("token")?.trim();
}

export const validate = apiEndpoint({
  flag: "validation",
  async handle(c, params) {
    const deps = c.var.deps;
    const apiKey = apiKeyOf(c, params);
    if (!apiKey) throw ApiError.invalidApiKey();
    let userId: number, token: string | undefined;
    try {
      userId = userIdOf(params);
      token = codeRequested(params) ? undefined : tokenOf(params, deps.config.totp.digits);
    } catch (error) {
      // A wrong key outranks bad parameters, as in createuser; looked up only on this error path
      // because the hot path checks the key inside the same D1 round trip as the attempt.
      await requireApiKey(deps, apiKey);
      throw error;
    }
    if (token === undefined) {
      await requireApiKey(deps, apiKey);
      c.set("outcome", "code_requested");
      return answer(CODE_REQUESTED, userId, false);
    }
    const valid = await verifyToken(deps, { apiKey, userId, token });
    c.set("outcome", valid ? "valid" : "invalid");
    return answer(valid ? "OTP is valid" : "OTP is not valid", userId, valid);
  },
  errorFields: (error, params) => [
    ["response", error.text],
    ["userid", echoedUserId(params)],
    ["validation", "false"],
    ["error", error.text],
    ["code", error.code],
  ],
});

function answer(response: string, userId: number, valid: boolean): Fields {
  return [
    ["response", response],
    ["userid", userId],
    ["validation", valid ? "true" : "false"],
  ];
}
