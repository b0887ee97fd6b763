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
  /** Not the appliance's own (an api.php action's extension): listed after its own parameters. */
  extension?: true;
}

/** Every value is refused above this size (contract: "a single value over 1 KiB"). */
export const textSchema = (extra: JsonObject = {}): JsonObject => ({ type: "string", maxLength: MAX_VALUE_BYTES, ...extra });

/** createuser's and validate's answer format. */
export const FORMAT_PARAM: ParamSpec = {
  name: "format",
  in: "query",
  description:
    "Answer format: 0 PHP serialize() (default), 1 JSON, 2 XML, 3 plain `true`/`false`. Any other value: `invalid format` (code 7) in format 0.",
  schema: textSchema({ enum: ["0", "1", "2", "3"], default: "0" }),
  example: "1",
};

/** The API key, in any of the spellings clients use: `api_key`, `api` (both known clients), or a header. */
export const API_KEY_SCHEMES = {
  api_key: { type: "apiKey", in: "query", name: "api_key", description: "The API key (also accepted in a form body)." },
  api: { type: "apiKey", in: "query", name: "api", description: "The API key, as the Token2 WordPress plugin and WSO2 connector send it." },
  header: { type: "apiKey", in: "header", name: "X-API-Key", description: "The API key in a header." },
} as const satisfies Record<string, JsonObject>;
