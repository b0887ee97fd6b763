// A strict reader of the flat XML answers: an optional declaration, one root element, and one
// level of child elements holding text. Written for this suite; shares no code with the server.
import { BodyParseError, type ParsedRecord } from "./parsed-body.js";

const NAME = "[A-Za-z_][\\w.-]*";
const DECLARATION = /^<\?xml[^?]*\?>/;
const ROOT_OPEN = new RegExp(`^<(${NAME})\\s*>`);
const EMPTY_ROOT = new RegExp(`^<(${NAME})\\s*/>\\s*$`);
const CHILD = new RegExp(`^<(${NAME})\\s*(?:/>|>([^<]*)</\\1\\s*>)`);

export function parseFlatXml(text: string): ParsedRecord {
  let rest = text;
  const declaration = DECLARATION.exec(rest)?.[0];
  if (declaration) rest = rest.slice(declaration.length);
  rest = rest.trimStart();
  const empty = EMPTY_ROOT.exec(rest);
  if (empty) return { entries: [], root: empty[1], declaration };
  const open = ROOT_OPEN.exec(rest);
  if (!open) throw new BodyParseError(`not XML: expected a root element, got ${JSON.stringify(rest.slice(0, 40))}`);
  const root = open[1] as string;
  rest = rest.slice(open[0].length);
  const entries: ParsedRecord["entries"] = [];
  for (;;) {
    rest = rest.trimStart();
    const close = `</${root}>`;
    if (rest.startsWith(close)) {
      if (rest.slice(close.length).trim() !== "") throw new BodyParseError("not XML: data after the root element");
      return { entries, root, declaration };
    }
    const child = CHILD.exec(rest);
    if (!child) throw new BodyParseError(`not flat XML: unexpected ${JSON.stringify(rest.slice(0, 40))}`);
    entries.push([child[1] as string, unescapeXml(child[2] ?? "")]);
    rest = rest.slice(child[0].length);
  }
}

const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (whole, entity: string) => {
    if (entity.startsWith("#x")) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    const named = NAMED[entity];
    if (named === undefined) throw new BodyParseError(`not XML: unknown entity ${whole}`);
    return named;
  });
}
