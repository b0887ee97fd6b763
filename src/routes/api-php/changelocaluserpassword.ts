import { changeLocalPassword, MIN_PASSWORD_CHARS } from "../../domain/local-users";
import { ApiError } from "../../errors";
import type { Params } from "../../http/params";
import { textResponse } from "../../http/respond";
import { PASSWORD_CHANGED } from "../../messages";
import { textSchema } from "../../openapi/parameters";
import { type ApiPhpAction, USER_PARAM, userParam } from "./action";

/** The new password: present (an empty one is merely too short); over 1 KiB, an invalid parameter. */
function passwordOf(params: Params): string {
  const password = params.get("localpassword");
  if (password === undefined) throw ApiError.missing("localpassword");
  return password;
}

export const changeLocalUserPasswordAction: ApiPhpAction = {
  name: "changelocaluserpassword",
  params: [
    USER_PARAM,
    {
      name: "localpassword",
      in: "query",
      description: `the new password, at least ${MIN_PASSWORD_CHARS} characters (stored only as a PBKDF2-SHA256 hash).`,
      schema: textSchema({ minLength: MIN_PASSWORD_CHARS }),
      example: "correct horse",
    },
  ],
  answers: {
    format: "text",
    success: PASSWORD_CHANGED,
    errors: [
      ApiError.invalidApiKey(),
      ApiError.missing("user"),
      ApiError.missing("localpassword"),
      ApiError.passwordTooShort(MIN_PASSWORD_CHARS),
      ApiError.invalid("localpassword"),
      ApiError.localUserMissing(),
    ],
  },
  example: { user: "alice@example.com", localpassword: "correct horse" },
  async run(c, params, caller) {
    await changeLocalPassword(c.var.deps, caller, userParam(params), passwordOf(params));
    return textResponse(PASSWORD_CHANGED);
  },
};
