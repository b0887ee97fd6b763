import { requireApiKey } from "../domain/api-key";
import { verifyToken } from "../domain/verification";
import { ApiError } from "../errors";
import type { Params } from "../http/params";
import { apiEndpoint, apiKeyOf } from "./api-endpoint";

const USER_ID = /^[1-9][0-9]{0,15}$/;

function userIdOf(params: Params): number {
  const raw = params.get("userid")?.trim();
  if (!raw) throw ApiError.missing("userid");
  if (!USER_ID.test(raw) || !Number.isSafeInteger(Number(raw))) throw ApiError.invalid("userid");
  return Number(raw);
}

function tokenRequestOf(params: Params, digits: number): { userId: number; token: string } {
  const userId = userIdOf(params);
  const token = params.get("token")?.trim();
  if (!token) throw ApiError.missing("token");
  if (token.length !== digits || !/^[0-9]+$/.test(token)) throw ApiError.invalid("token");
  return { userId, token };
}

/** The userid echoed in answers: the requested id as an integer, or "" when absent or not a number. */
function echoedUserId(params: Params): number | string {
  try {
    return userIdOf(params);
  } catch {
    return "";
  }
}

export const validate = apiEndpoint({
  flag: "validation",
  async handle(c, params) {
    const deps = c.var.deps;
    const apiKey = apiKeyOf(c, params);
    if (!apiKey) throw ApiError.invalidApiKey();
    let userId: number, token: string;
    try {
      ({ userId, token } = tokenRequestOf(params, deps.config.totp.digits));
    } catch (error) {
      // A wrong key outranks bad parameters, as in createuser; looked up only on this error path
      // because the hot path checks the key inside the same D1 round trip as the attempt.
      await requireApiKey(deps, apiKey);
      throw error;
    }
    const valid = await verifyToken(deps, { apiKey, userId, token });
    return [
      ["response", valid ? "OTP is valid" : "OTP is not valid"],
      ["userid", userId],
      ["validation", valid ? "true" : "false"],
    ];
  },
  errorFields: (error, params) => [
    ["response", error.text],
    ["userid", echoedUserId(params)],
    ["validation", "false"],
    ["error", error.text],
    ["code", error.code],
  ],
});
