// Keeps API keys, TOTP secrets, one-time codes and passwords out of everything the suite prints
// or writes: the output, the reports and the recordings.
import { parseBody } from "./parse/body.js";
import type { ParsedRecord } from "./parse/parsed-body.js";

const REDACTED = "<redacted>";

export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string): void {
    if (secret.length >= 4) this.secrets.add(secret);
  }

  /** The `hash` (the TOTP secret) of a createuser answer in any record format, captured or not. */
  addSecretsOf(body: string): void {
    for (const format of ["json", "php", "xml"] as const) {
      try {
        for (const [name, value] of (parseBody(format, body) as ParsedRecord).entries)
          if (name === "hash" && typeof value === "string") this.add(value);
        return;
      } catch {
        // not this format
      }
    }
  }

  apply(text: string): string {
    let result = text.replace(/secret=[A-Za-z2-7=%]+/g, `secret=${REDACTED}`);
    for (const secret of this.secrets) result = result.split(secret).join(REDACTED);
    return result;
  }
}

/**
 * Request parameters whose values are keys, secrets, codes or passwords. A code is useless a
 * minute later, but one in a recording next to the user's answers says more than a report needs.
 */
const SECRET_PARAMETERS = ["api_key", "api", "token", "localpassword", "password", "secret"];
const SECRET_HEADERS = new Set(["x-api-key", "authorization", "cookie", "set-cookie"]);
const IN_QUERY = new RegExp(`([?&]|^)(${SECRET_PARAMETERS.join("|")})=[^&#]*`, "gi");
const IN_JSON = new RegExp(`("(?:${SECRET_PARAMETERS.join("|")})"\\s*:\\s*)("(?:[^"\\\\]|\\\\.)*"|[^,}\\]\\s]+)`, "gi");

/** A URL or a urlencoded or JSON body with its secret parameters' values replaced. */
export function redactParameters(text: string): string {
  return text.replace(IN_QUERY, `$1$2=${REDACTED}`).replace(IN_JSON, `$1"${REDACTED}"`);
}

export function redactFields(fields: Iterable<[string, string]>): Record<string, string> {
  return Object.fromEntries([...fields].map(([name, value]) => [name, SECRET_PARAMETERS.includes(name.toLowerCase()) ? REDACTED : value]));
}

export function redactHeaders(headers: Headers): Record<string, string> {
  return Object.fromEntries([...headers].map(([name, value]) => [name, SECRET_HEADERS.has(name) ? REDACTED : value]));
}

/**
 * An answer body as a recording keeps it. A QR image is not kept: it encodes the secret. listusers
 * lists every user of the appliance, real people included: only this run's users keep their names.
 */
export function redactAnswerBody(body: string, contentType: string, ownsItem: (item: unknown) => boolean): string {
  if (contentType.startsWith("image/svg") || /^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(body)) {
    return `(an SVG image of ${Buffer.byteLength(body)} bytes, not recorded: its QR code holds the TOTP secret)`;
  }
  if (!body.trimStart().startsWith("[")) return body;
  let items: unknown;
  try {
    items = JSON.parse(body);
  } catch {
    return body;
  }
  const foreign = (item: unknown): item is Record<string, unknown> => item !== null && typeof item === "object" && !ownsItem(item);
  if (!Array.isArray(items) || !items.some(foreign)) return body;
  return JSON.stringify(
    items.map((item) =>
      foreign(item)
        ? Object.fromEntries(Object.entries(item).map(([name, value]) => [name, typeof value === "string" ? REDACTED : value]))
        : item,
    ),
  );
}
