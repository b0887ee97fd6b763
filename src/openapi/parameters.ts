import { MIN_PASSWORD_CHARS } from "../domain/local-users";
import { MAX_VALUE_BYTES } from "../http/params";
import type { JsonObject } from "./json";

/**
 * A request parameter as the server reads it. Query parameters are also accepted in a POST body:
 * form-urlencoded, multipart/form-data or a JSON object (src/http/params.ts).
 */
export interface ParamSpec {
  name: string;
  in: "query" | "path";
  description: string;
  schema: JsonObject;
  required?: boolean;
  /** A value the route accepts; tests send every documented parameter with its example. */
  example: string;
}

/** Every value is refused above this size (contract: "a single value over 1 KiB"). */
const text = (extra: JsonObject = {}): JsonObject => ({ type: "string", maxLength: MAX_VALUE_BYTES, ...extra });

const FORMAT: ParamSpec = {
  name: "format",
  in: "query",
  description:
    "Answer format: 0 PHP serialize() (default), 1 JSON, 2 XML, 3 plain `true`/`false`. Any other value: `invalid format` (code 7) in format 0.",
  schema: text({ enum: ["0", "1", "2", "3"], default: "0" }),
  example: "1",
};

export const CREATEUSER_PARAMS: readonly ParamSpec[] = [
  {
    name: "phone",
    in: "query",
    description:
      "E.164 phone number; `+` optional, spaces, dashes, dots and parentheses are stripped. At least one of phone/email is required.",
    schema: text(),
    example: "+41791234567",
  },
  {
    name: "email",
    in: "query",
    description: "Email address. The username when `username` is absent (unique regardless of case).",
    schema: text({ format: "email" }),
    example: "alice@example.com",
  },
  {
    name: "username",
    in: "query",
    description: "Extension: the username to register; default: email, else the normalized phone.",
    schema: text(),
    example: "alice",
  },
  {
    name: "type",
    in: "query",
    description: "Token type: absent or 0 (mobile app). Anything else: `invalid parameter: type` (code 3).",
    schema: text({ enum: ["0"] }),
    example: "0",
  },
  { name: "pin", in: "query", description: "Accepted for compatibility and ignored.", schema: text(), example: "1234" },
  FORMAT,
];

export const VALIDATE_PARAMS: readonly ParamSpec[] = [
  {
    name: "userid",
    in: "query",
    required: true,
    description: "The userid that createuser returned.",
    schema: text({ pattern: "^[1-9][0-9]{0,15}$" }),
    example: "1",
  },
  {
    name: "token",
    in: "query",
    required: true,
    description:
      "The 6-digit code from the authenticator app (8 digits for a user imported with 8-digit tokens); surrounding spaces are stripped. Each code is accepted once. Not needed with `send=1`.",
    schema: text({ pattern: "^\\s*[0-9]{6}([0-9]{2})?\\s*$" }),
    example: "123456",
  },
  {
    name: "send",
    in: "query",
    description:
      '`1` without a token (the Token2 Cloud API\'s "send me a code"): answers `enter the code from your authenticator app`, `validation` `false`, no error, and counts nothing. Otherwise ignored.',
    schema: text(),
    example: "0",
  },
  FORMAT,
];

const API_PHP_ACTIONS = ["listusers", "changelocaluserpassword", "deletelocaluser"] as const;

export const API_PHP_PARAMS: readonly ParamSpec[] = [
  {
    name: "action",
    in: "query",
    required: true,
    description: "What to do. Unknown or missing: `Error: unknown action`.",
    schema: text({ enum: [...API_PHP_ACTIONS] }),
    example: "listusers",
  },
  {
    name: "user",
    in: "query",
    description: "changelocaluserpassword, deletelocaluser: the username.",
    schema: text(),
    example: "alice@example.com",
  },
  {
    name: "localpassword",
    in: "query",
    description: `changelocaluserpassword: the new password, at least ${MIN_PASSWORD_CHARS} characters (stored only as a PBKDF2-SHA256 hash).`,
    schema: text({ minLength: MIN_PASSWORD_CHARS }),
    example: "correct horse",
  },
  {
    name: "limit",
    in: "query",
    description: "listusers (extension): at most this many users.",
    schema: text({ pattern: "^[0-9]{1,9}$" }),
    example: "100",
  },
  {
    name: "offset",
    in: "query",
    description: "listusers (extension): skip this many users first.",
    schema: text({ pattern: "^[0-9]{1,9}$" }),
    example: "0",
  },
];

export const QR_PARAMS: readonly ParamSpec[] = [
  {
    name: "secret",
    in: "query",
    required: true,
    description: "The user's `hash`, as in the `hashqr` URL. A wrong secret or an unknown user answers 404.",
    schema: { type: "string", maxLength: 128 },
    example: "JBSWY3DPEHPK3PXP",
  },
];

/** The API key, in any of the spellings clients use: `api_key`, `api` (both known clients), or a header. */
export const API_KEY_SCHEMES = {
  api_key: { type: "apiKey", in: "query", name: "api_key", description: "The API key (also accepted in a form body)." },
  api: { type: "apiKey", in: "query", name: "api", description: "The API key, as the Token2 WordPress plugin and WSO2 connector send it." },
  header: { type: "apiKey", in: "header", name: "X-API-Key", description: "The API key in a header." },
} as const satisfies Record<string, JsonObject>;
