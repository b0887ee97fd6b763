// Picks the parser for the body format a step expects.
import type { BodyExpectation } from "../fixture-types.js";
import { parseJson, parseJsonObject } from "./json.js";
import { BodyParseError, type ParsedRecord } from "./parsed-body.js";
import { parsePhpSerialized } from "./php.js";
import { parseFlatXml } from "./xml.js";

export function parseBody(format: BodyExpectation["format"], text: string): ParsedRecord | unknown[] | string {
  switch (format) {
    case "php":
      return parsePhpSerialized(text);
    case "json":
      return parseJsonObject(text);
    case "xml":
      return parseFlatXml(text);
    case "json-array": {
      const value = parseJson(text);
      if (!Array.isArray(value)) throw new BodyParseError("not a JSON array");
      return value;
    }
    case "text":
    case "svg":
      return text;
  }
}
