// Compares one HTTP answer with a step's expectation and lists every difference, readably.
import type { BodyExpectation, Expectation, JsonArrayBody, MatcherObject, RecordBody, Scalar, ValueMatcher } from "./fixture-types.js";
import { BodyParseError, type FieldValue, type ParsedRecord } from "./parse/parsed-body.js";
import { parseBody } from "./parse/body.js";
import type { Scope } from "./placeholders.js";

export interface Difference {
  where: string;
  expected: string;
  actual: string;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: string;
}

function show(value: unknown): string {
  if (value === undefined) return "(absent)";
  if (typeof value === "string") return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
  return JSON.stringify(value) ?? String(value);
}

export function compareAnswer(expectation: Expectation, answer: HttpAnswer, scope: Scope): Difference[] {
  const differences: Difference[] = [];
  if (answer.status !== expectation.status) {
    differences.push({ where: "status", expected: String(expectation.status), actual: String(answer.status) });
  }
  if (expectation.contentType !== undefined) {
    differences.push(...matchValue("content-type", expectation.contentType, answer.headers.get("content-type") ?? undefined, scope, true));
  }
  for (const [name, matcher] of Object.entries(expectation.headers ?? {})) {
    differences.push(...matchValue(`header ${name}`, matcher, answer.headers.get(name) ?? undefined, scope, true));
  }
  // A wrong status usually means a different body too; the status difference says enough.
  if (expectation.body && differences.every((d) => d.where !== "status"))
    differences.push(...matchBody(expectation.body, answer.body, scope));
  return differences;
}

function matchBody(expectation: BodyExpectation, text: string, scope: Scope): Difference[] {
  let parsed: ReturnType<typeof parseBody>;
  try {
    parsed = parseBody(expectation.format, text);
  } catch (error) {
    if (!(error instanceof BodyParseError)) throw error;
    return [{ where: "body", expected: `a ${expectation.format} body`, actual: `${error.message}: ${show(text)}` }];
  }
  switch (expectation.format) {
    case "text": {
      const body = parsed as string;
      const differences: Difference[] = [];
      if (expectation.equals !== undefined) differences.push(...matchValue("body", scope.expand(expectation.equals), body, scope, true));
      if (expectation.pattern !== undefined) differences.push(...matchValue("body", { pattern: expectation.pattern }, body, scope, true));
      return differences;
    }
    case "svg":
      return /<svg[\s>]/.test(text) ? [] : [{ where: "body", expected: "an SVG document", actual: show(text) }];
    case "json-array":
      return matchJsonArray(expectation, parsed as unknown[], scope);
    default:
      return matchRecord(expectation, parsed as ParsedRecord, scope);
  }
}

function matchRecord(expectation: RecordBody, record: ParsedRecord, scope: Scope): Difference[] {
  const xml = expectation.format === "xml";
  const differences: Difference[] = [];
  if (expectation.declaration !== undefined && record.declaration !== expectation.declaration) {
    differences.push({ where: "xml declaration", expected: show(expectation.declaration), actual: show(record.declaration) });
  }
  if (expectation.root !== undefined && record.root !== expectation.root) {
    differences.push({ where: "xml root element", expected: show(expectation.root), actual: show(record.root) });
  }
  const names = record.entries.map(([name]) => name);
  if (expectation.fieldOrder && names.join(",") !== expectation.fieldOrder.join(",")) {
    differences.push({ where: "body field order", expected: `[${expectation.fieldOrder.join(", ")}]`, actual: `[${names.join(", ")}]` });
  }
  const fields = new Map(record.entries);
  for (const [name, matcher] of Object.entries(expectation.fields ?? {})) {
    differences.push(...matchValue(`body.${name}`, matcher, fields.get(name), scope, xml));
  }
  return differences;
}

function matchJsonArray(expectation: JsonArrayBody, items: unknown[], scope: Scope): Difference[] {
  const differences: Difference[] = [];
  const objects = items.filter(
    (item): item is Record<string, unknown> => item !== null && typeof item === "object" && !Array.isArray(item),
  );
  if (objects.length !== items.length) differences.push({ where: "body", expected: "an array of objects", actual: show(items) });
  objects.forEach((item, index) => {
    const names = Object.keys(item);
    if (expectation.itemFieldOrder && names.join(",") !== expectation.itemFieldOrder.join(",")) {
      differences.push({
        where: `body[${index}] field order`,
        expected: `[${expectation.itemFieldOrder.join(", ")}]`,
        actual: `[${names.join(", ")}]`,
      });
    }
    for (const [name, matcher] of Object.entries(expectation.itemFields ?? {})) {
      differences.push(...matchValue(`body[${index}].${name}`, matcher, item[name] as FieldValue | undefined, scope, false));
    }
  });
  if (expectation.sortedBy) {
    const key = expectation.sortedBy;
    const keys = objects.map((item) => Number(item[key]));
    const unsorted = keys.findIndex((value, index) => index > 0 && !(value > (keys[index - 1] as number)));
    if (unsorted > 0)
      differences.push({ where: `body order by ${key}`, expected: "ascending", actual: `${keys[unsorted - 1]} before ${keys[unsorted]}` });
  }
  const matchesItem = (wanted: Record<string, ValueMatcher>) => (item: Record<string, unknown>) =>
    Object.entries(wanted).every(
      ([name, matcher]) => matchValue(name, matcher, item[name] as FieldValue | undefined, scope, false).length === 0,
    );
  for (const wanted of expectation.contains ?? []) {
    if (!objects.some(matchesItem(wanted)))
      differences.push({
        where: "body",
        expected: `an item ${describeItem(wanted, scope)}`,
        actual: `none among ${objects.length} item(s)`,
      });
  }
  for (const unwanted of expectation.notContains ?? []) {
    const found = objects.find(matchesItem(unwanted));
    if (found) differences.push({ where: "body", expected: `no item ${describeItem(unwanted, scope)}`, actual: show(found) });
  }
  return differences;
}

function describeItem(fields: Record<string, ValueMatcher>, scope: Scope): string {
  return Object.entries(fields)
    .map(([name, matcher]) => `${name}=${describeMatcher(matcher, scope)}`)
    .join(", ");
}

function describeMatcher(matcher: ValueMatcher, scope: Scope): string {
  if (matcher === null || typeof matcher !== "object") return show(scope.expandValue(matcher));
  const parts: string[] = [];
  if (matcher.absent) parts.push("absent");
  if (matcher.equals !== undefined) parts.push(show(scope.expandValue(matcher.equals)));
  if (matcher.type) parts.push(`a ${matcher.type}`);
  if (matcher.pattern) parts.push(`matching /${scope.expand(matcher.pattern)}/`);
  if (matcher.oneOf) parts.push(`one of ${matcher.oneOf.map((v) => show(scope.expandValue(v))).join(" | ")}`);
  if (matcher.nearNowSeconds !== undefined) parts.push(`within ${matcher.nearNowSeconds} s of now`);
  return parts.join(", ");
}

/** `untyped`: the wire format has no types (XML, headers, plain text), so compare string forms. */
export function matchValue(
  where: string,
  matcher: ValueMatcher,
  actual: FieldValue | undefined,
  scope: Scope,
  untyped: boolean,
): Difference[] {
  const object: MatcherObject = matcher !== null && typeof matcher === "object" ? matcher : { equals: matcher };
  const fail = (): Difference[] => [{ where, expected: describeMatcher(matcher, scope), actual: show(actual) }];
  if (object.absent) return actual === undefined ? [] : fail();
  if (actual === undefined) return fail();
  if (object.equals !== undefined && !sameValue(scope.expandValue(object.equals), actual, untyped)) return fail();
  if (object.oneOf && !object.oneOf.some((v) => sameValue(scope.expandValue(v), actual, untyped))) return fail();
  if (object.type && !hasType(object.type, actual, untyped)) return fail();
  if (object.pattern !== undefined && !new RegExp(scope.expand(object.pattern)).test(String(actual))) return fail();
  if (
    object.nearNowSeconds !== undefined &&
    !(Number.isInteger(actual) && Math.abs(Number(actual) - scope.now() / 1000) <= object.nearNowSeconds)
  )
    return fail();
  return [];
}

function sameValue(expected: Scalar, actual: FieldValue, untyped: boolean): boolean {
  return untyped ? String(expected) === String(actual) : expected === actual;
}

function hasType(type: NonNullable<MatcherObject["type"]>, actual: FieldValue, untyped: boolean): boolean {
  if (untyped) return type === "string" || (type === "integer" && /^-?\d+$/.test(String(actual)));
  switch (type) {
    case "integer":
      return Number.isInteger(actual);
    case "number":
      return typeof actual === "number";
    case "array":
    case "object":
      return false;
    default:
      return typeof actual === type;
  }
}
