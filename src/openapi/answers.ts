import { ApiError, ErrorCode } from "../errors";
import type { FieldValue, Fields, Format } from "../formats/fields";
import { renderFields } from "../formats/render";
import { apiPhpErrorText } from "../messages";
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

/** The error fields createuser and validate share. */
export const ERROR_TEXT_FIELD: FieldSpec = { name: "error", schema: { type: "string" }, example: "invalid api key" };
export const ERROR_CODE_FIELD: FieldSpec = {
  name: "code",
  schema: { type: "integer", enum: Object.values(ErrorCode) },
  example: ErrorCode.InvalidApiKey,
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

/** The text/plain body api.php gives for an error. */
export const apiPhpErrorBody = (error: ApiError) => apiPhpErrorText(error.text);
