import type { Fields, Format } from "./fields";
import { phpSerialize } from "./php-serialize";
import { renderXml } from "./xml";

export interface Rendered {
  body: string;
  contentType: string;
}

const TEXT = "text/plain; charset=utf-8";

/**
 * Renders an answer of createuser or validate. `flag` names the field that format 3 reduces the
 * answer to ("success" or "validation").
 */
export function renderFields(fields: Fields, format: Format, flag: string): Rendered {
  switch (format) {
    case 0:
      return { body: phpSerialize(fields), contentType: TEXT };
    case 1:
      return { body: JSON.stringify(Object.fromEntries(fields)), contentType: "application/json; charset=utf-8" };
    case 2:
      return { body: renderXml(fields), contentType: "application/xml; charset=utf-8" };
    case 3:
      return { body: fields.find(([name]) => name === flag)?.[1] === "true" ? "true" : "false", contentType: TEXT };
  }
}
