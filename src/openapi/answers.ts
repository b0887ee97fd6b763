import { MIN_PASSWORD_CHARS } from "../domain/local-users";
import { ApiError, ErrorCode } from "../errors";
import type { FieldValue, Fields, Format } from "../formats/fields";
import { renderFields } from "../formats/render";
import { apiPhpErrorText, CODE_REQUESTED, OTP_NOT_VALID, OTP_VALID, PASSWORD_CHANGED, USER_CREATED, USER_DELETED } from "../messages";
import type { JsonObject } from "./json";

/** One field of a createuser/validate answer, in answer order (clients read fields by position too). */
export interface FieldSpec {
  name: string;
  schema: JsonObject;
  example: FieldValue;
}

/** What createuser or validate answers: its success and error fields, and the field format 3 reduces to. */
export interface FieldsAnswer {
  flag: "success" | "validation";
  success: readonly FieldSpec[];
  error: readonly FieldSpec[];
}

const errorText: FieldSpec = { name: "error", schema: { type: "string" }, example: "invalid api key" };
const errorCode: FieldSpec = {
  name: "code",
  schema: { type: "integer", enum: Object.values(ErrorCode) },
  example: ErrorCode.InvalidApiKey,
};

export const CREATEUSER_ANSWER: FieldsAnswer = {
  flag: "success",
  success: [
    { name: "response", schema: { const: USER_CREATED }, example: USER_CREATED },
    { name: "userid", schema: { type: "integer", minimum: 1 }, example: 1 },
    { name: "success", schema: { const: "true" }, example: "true" },
    {
      name: "hash",
      schema: { type: "string", pattern: "^[A-Z2-7]{32}$", description: "The TOTP secret: 20 random bytes, base32 without padding." },
      example: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    },
    {
      name: "hashqr",
      schema: {
        type: "string",
        format: "uri",
        description: "SVG QR code of the otpauth:// URI, on this server; ends with ?secret=<hash>.",
      },
      example: "https://totp.example/qr/1.svg?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    },
  ],
  error: [
    { name: "response", schema: { type: "string", description: "Same text as `error`." }, example: "invalid api key" },
    { name: "success", schema: { const: "false" }, example: "false" },
    errorText,
    errorCode,
  ],
};

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
    errorText,
    errorCode,
  ],
};

export const FORMATS: readonly Format[] = [0, 1, 2, 3];

/** An answer's example rendered by the server's own renderer, so documented bodies and content types cannot drift. */
export function renderExample(fields: readonly FieldSpec[], format: Format, flag: string) {
  const values: Fields = fields.map((field) => [field.name, field.example] as const);
  return renderFields(values, format, flag);
}

/** Every error code with what it means and its answer text(s). Keyed by ErrorCode's names: a new code does not compile until it is documented. */
export const ERROR_CATALOGUE: { readonly [K in keyof typeof ErrorCode]: { meaning: string; examples: readonly ApiError[] } } = {
  InvalidApiKey: { meaning: "missing or unknown API key", examples: [ApiError.invalidApiKey()] },
  MissingParameter: { meaning: "a required parameter is missing", examples: [ApiError.missing("NAME")] },
  InvalidParameter: {
    meaning: "a parameter is malformed or unsupported (e.g. `type` other than 0, a token that is not 6 digits, a value over 1 KiB)",
    examples: [ApiError.invalid("NAME")],
  },
  UserNotFound: { meaning: "unknown userid", examples: [ApiError.userNotFound()] },
  UserExists: { meaning: "the username is already taken", examples: [ApiError.userExists()] },
  TooManyAttempts: {
    meaning: "too many failed attempts: the user is locked for N seconds (the token is not checked)",
    examples: [ApiError.tooManyAttempts(30)],
  },
  InvalidFormat: { meaning: "bad `format` (the answer then comes in format 0)", examples: [ApiError.invalidFormat()] },
  TokenUsed: { meaning: "this code, or a later one, was already accepted (replay)", examples: [ApiError.tokenUsed()] },
  InvalidPhone: { meaning: "the phone number is not E.164", examples: [ApiError.invalidPhone()] },
  InvalidEmail: { meaning: "the email address is malformed", examples: [ApiError.invalidEmail()] },
};

/** api.php answers in the appliance's words: "Success: …" / "Error: …" as text/plain, listusers JSON. */
export const API_PHP_ANSWERS = {
  listusers: {
    success: [{ userid: 1, username: "alice@example.com", timestamp: 1732500000 }],
    errors: [ApiError.invalidApiKey(), ApiError.invalid("limit"), ApiError.invalid("offset")],
  },
  changelocaluserpassword: {
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
  deletelocaluser: {
    success: USER_DELETED,
    errors: [ApiError.invalidApiKey(), ApiError.missing("user"), ApiError.localUserMissing()],
  },
  unknown: { errors: [ApiError.unknownAction()] },
} as const;

/** The text/plain body api.php gives for an error. */
export const apiPhpErrorBody = (error: ApiError) => apiPhpErrorText(error.text);
