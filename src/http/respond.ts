import type { Fields, Format } from "../formats/fields";
import { renderFields } from "../formats/render";

export function fieldsResponse(fields: Fields, format: Format, flag: string): Response {
  const { body, contentType } = renderFields(fields, format, flag);
  return new Response(body, { status: 200, headers: { "Content-Type": contentType } });
}

export function textResponse(body: string, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "Content-Type": "text/plain; charset=utf-8", ...headers } });
}
