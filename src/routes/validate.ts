import { requireApiKey } from "../domain/api-key";
import { isCode } from "../domain/code-check";
import { verifyCode } from "../domain/verification";
import { ApiError } from "../errors";
import type { Fields } from "../formats/fields";
import type { Params } from "../http/params";
import { CODE_REQUESTED, OTP_NOT_VALID, OTP_VALID } from "../messages";
import { ERROR_CODE_FIELD, ERROR_TEXT_FIELD, type FieldsAnswer } from "../openapi/answers";
import { TOKEN_DIGITS } from "../otp/totp";
import { FORMAT_PARAM, type ParamSpec, textSchema } from "../openapi/parameters";
import { apiEndpoint } from "./api-endpoint";
import type { Route } from "./route";

const USER_ID = /^[1-9][0-9]{0,15}$/;

function userIdOf(params: Params): number {
  const raw = params.get("userid")?.trim();
  if (!raw) throw ApiError.missing("userid");
  if (!USER_ID.test(raw) || !Number.isSafeInteger(Number(raw))) throw ApiError.invalid("userid");
  return Number(raw);
}

/**
 * The code as typed (the API's `token` parameter), as long as some user's token makes (6 or 8 digits); whether it has this user's length is
 * checked once the user is known (src/domain/verification.ts), with the same answer.
 */
function typedCode(params: Params): string {
  const token = params.get("token")?.trim();
  if (!token) throw ApiError.missing("token");
  if (!isCode(token, TOKEN_DIGITS)) throw ApiError.invalid("token");
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

const validate = apiEndpoint({
  flag: "validation",
  async handle(c, params, caller) {
    const deps = c.var.deps;
    const userId = userIdOf(params);
    if (codeRequested(params)) {
      await requireApiKey(deps, caller);
      c.set("outcome", "code_requested");
      return answer(CODE_REQUESTED, userId, false);
    }
    const code = typedCode(params);
    const valid = await verifyCode(deps, { caller, userId, code });
    c.set("outcome", valid ? "valid" : "invalid");
    return answer(valid ? OTP_VALID : OTP_NOT_VALID, userId, valid);
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

const VALIDATE_PARAMS: readonly ParamSpec[] = [
  {
    name: "userid",
    in: "query",
    required: true,
    description: "The userid that createuser returned.",
    schema: textSchema({ pattern: "^[1-9][0-9]{0,15}$" }),
    example: "1",
  },
  {
    name: "token",
    in: "query",
    required: true,
    description:
      "The 6-digit code from the authenticator app (8 digits for a user imported with 8-digit tokens); surrounding spaces are stripped. Each code is accepted once. Not needed with `send=1`.",
    schema: textSchema({ pattern: "^\\s*[0-9]{6}([0-9]{2})?\\s*$" }),
    example: "123456",
  },
  {
    name: "send",
    in: "query",
    description:
      '`1` without a token (the Token2 Cloud API\'s "send me a code"): answers `enter the code from your authenticator app`, `validation` `false`, no error, and counts nothing. Otherwise ignored.',
    schema: textSchema(),
    example: "0",
  },
  FORMAT_PARAM,
];

export const VALIDATE_ANSWER: FieldsAnswer = {
  flag: "validation",
  success: [
    { name: "response", schema: { enum: [OTP_VALID, OTP_NOT_VALID, CODE_REQUESTED] }, example: OTP_VALID },
    { name: "userid", schema: { type: "integer", minimum: 1 }, example: 1 },
    { name: "validation", schema: { enum: ["true", "false"] }, example: "true" },
  ],
  error: [
    { name: "response", schema: { type: "string", description: "Same text as `error`." }, example: "invalid api key" },
    {
      name: "userid",
      schema: { oneOf: [{ type: "integer" }, { const: "" }], description: 'The requested userid, or "" when absent or not a number.' },
      example: 1,
    },
    { name: "validation", schema: { const: "false" }, example: "false" },
    ERROR_TEXT_FIELD,
    ERROR_CODE_FIELD,
  ],
};

export const validateRoute: Route = {
  id: "validate",
  honoPath: "/validate",
  methods: ["GET", "POST"],
  summary: "Check a one-time code",
  description:
    "Checks a TOTP code (RFC 6238): 6 digits, SHA-1, 30 s for users createuser made; an imported token's own algorithm, digits and period otherwise; ±1 step by default, around the token's recorded drift. A code is accepted once; after repeated failures the user is locked for a while (code 6).",
  apiKey: true,
  params: VALIDATE_PARAMS,
  answer: { kind: "fields", answer: VALIDATE_ANSWER },
  examples: [{ params: { userid: "1", token: "123456", format: "1" } }],
  handler: validate,
};
