import { deleteLocalUser } from "../../domain/local-users";
import { ApiError } from "../../errors";
import { textResponse } from "../../http/respond";
import { USER_DELETED } from "../../messages";
import { type ApiPhpAction, USER_PARAM, userParam } from "./action";

export const deleteLocalUserAction: ApiPhpAction = {
  name: "deletelocaluser",
  params: [USER_PARAM],
  answers: {
    format: "text",
    success: USER_DELETED,
    errors: [ApiError.invalidApiKey(), ApiError.missing("user"), ApiError.localUserMissing()],
  },
  example: { user: "alice@example.com" },
  async run(c, params, caller) {
    await deleteLocalUser(c.var.deps, caller, userParam(params));
    return textResponse(USER_DELETED);
  },
};
