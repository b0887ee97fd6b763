// What a step saw, reduced to the fields compare mode puts side by side. Values that differ on
// every run (userids, secrets, hosts, timestamps, this run's names) are normalized away.
import type { Expectation } from "./fixture-types.js";
import type { HttpAnswer } from "./match.js";
import { parseBody } from "./parse/body.js";
import type { ParsedRecord } from "./parse/parsed-body.js";

/** field (e.g. "status", "content-type", "body.code") → normalized value */
export type Observation = Map<string, string>;

/** `ownsItem`: whether a listusers item is a user of this run (the others are the server's data, not its behaviour) */
export function observe(expectation: Expectation, answer: HttpAnswer, ownsItem: (item: unknown) => boolean): Observation {
  const seen: Observation = new Map();
  seen.set("status", String(answer.status));
  seen.set("content-type", answer.headers.get("content-type") ?? "(absent)");
  for (const name of Object.keys(expectation.headers ?? {})) seen.set(`header ${name}`, answer.headers.get(name) ?? "(absent)");
  const format = expectation.body?.format;
  if (!format) return seen;
  let parsed: ReturnType<typeof parseBody>;
  try {
    parsed = parseBody(format, answer.body);
  } catch {
    seen.set("body", `unparsable as ${format}: ${JSON.stringify(normalizeText(answer.body).slice(0, 60))}`);
    return seen;
  }
  if (format === "svg") {
    seen.set("body", /<svg[\s>]/.test(answer.body) ? "<svg document>" : "not SVG");
  } else if (format === "text") {
    seen.set("body", JSON.stringify(normalizeText(parsed as string)));
  } else if (format === "json-array") {
    // An appliance lists its real users too, and a fresh server none: only this run's users compare.
    const items = (parsed as unknown[]).filter(
      (item): item is Record<string, unknown> => typeof item === "object" && item !== null && ownsItem(item),
    );
    seen.set("body[] of this run", `${items.length} item(s)`);
    const first = items[0];
    if (first) {
      seen.set("body[].fields", Object.keys(first).join(", "));
      for (const [name, value] of Object.entries(first)) seen.set(`body[].${name}`, typeof value);
    }
  } else {
    const record = parsed as ParsedRecord;
    if (record.declaration !== undefined) seen.set("xml declaration", record.declaration);
    if (record.root !== undefined) seen.set("xml root", record.root);
    seen.set("body fields", record.entries.map(([name]) => name).join(", "));
    for (const [name, value] of record.entries) seen.set(`body.${name}`, normalizeField(name, value));
  }
  return seen;
}

function normalizeField(name: string, value: unknown): string {
  if (name === "userid" && typeof value === "number") return "<integer>";
  if (name === "userid" && typeof value === "string" && /^\d+$/.test(value)) return '"<digits>"';
  if (name === "hash" && typeof value === "string" && /^[A-Z2-7]+=*$/.test(value)) return `"<base32, ${value.length} chars>"`;
  if (name === "hashqr" && typeof value === "string") {
    return JSON.stringify(
      value
        .replace(/^https?:\/\/[^/]+/, "<origin>")
        .replace(/\/\d+(\.\w+)?(?=\?|$)/, "/<userid>$1")
        .replace(/secret=[^&]*/, "secret=<hash>"),
    );
  }
  return typeof value === "string" ? JSON.stringify(normalizeText(value)) : String(value);
}

/** Names and numbers that are new on every run. */
function normalizeText(text: string): string {
  return text
    .replace(/tecf-[0-9a-f]+-\d+/g, "tecf-<run>-<n>")
    .replace(/retry in \d+ s/g, "retry in <N> s")
    .replace(/secret=[A-Za-z2-7=%]+/g, "secret=<hash>");
}
