import type { Fields } from "./fields";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

/** Escapes markup and replaces what XML 1.0 cannot carry at all (C0 controls, lone surrogates, U+FFFE/F). */
export function escapeXml(text: string): string {
  return text
    .replace(/[&<>"']/g, (ch) => ESCAPES[ch]!)
    .replace(
      /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
      "\uFFFD",
    );
}

export function renderXml(fields: Fields): string {
  let body = "";
  for (const [name, value] of fields) body += `<${name}>${escapeXml(String(value))}</${name}>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<result>${body}</result>`;
}
