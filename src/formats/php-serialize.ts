import type { Fields, FieldValue } from "./fields";

const utf8 = new TextEncoder();

function serializeValue(value: FieldValue): string {
  // PHP's s:LEN counts bytes, not characters: a multi-byte username must not break unserialize().
  return typeof value === "number" ? `i:${value};` : `s:${utf8.encode(value).length}:"${value}";`;
}

/** PHP serialize() of an associative array, as the appliance's format 0 answers. */
export function phpSerialize(fields: Fields): string {
  let body = "";
  for (const [name, value] of fields) body += serializeValue(name) + serializeValue(value);
  return `a:${fields.length}:{${body}}`;
}
