// JSON answers: an object becomes ordered fields (JSON.parse keeps the key order of non-numeric
// keys, which is all these APIs use); an array is returned as is for the array matchers.
import { BodyParseError, type FieldValue, type ParsedRecord } from "./parsed-body.js";

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new BodyParseError(`not JSON: ${(error as Error).message}`);
  }
}

export function parseJsonObject(text: string): ParsedRecord {
  const value = parseJson(text);
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new BodyParseError("not a JSON object");
  return { entries: Object.entries(value).map(([key, field]) => [key, toFieldValue(field)]) };
}

function toFieldValue(value: unknown): FieldValue {
  if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  return JSON.stringify(value);
}
