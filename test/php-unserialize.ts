/**
 * A strict reader of the PHP-serialized arrays the API answers with (format 0), for tests:
 * it checks every s:LEN against the UTF-8 byte length, as PHP's unserialize() does.
 */
export function phpUnserialize(text: string): Record<string, string | number> {
  const bytes = new TextEncoder().encode(text);
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let at = 0;
  const expect = (literal: string) => {
    const got = decoder.decode(bytes.subarray(at, at + literal.length));
    if (got !== literal) throw new SyntaxError(`expected ${JSON.stringify(literal)} at byte ${at}, got ${JSON.stringify(got)}`);
    at += literal.length;
  };
  const number = (end: string) => {
    const stop = bytes.indexOf(end.charCodeAt(0), at);
    if (stop < 0) throw new SyntaxError(`unterminated number at byte ${at}`);
    const text = decoder.decode(bytes.subarray(at, stop));
    if (!/^-?\d+$/.test(text)) throw new SyntaxError(`bad number ${JSON.stringify(text)} at byte ${at}`);
    at = stop + 1;
    return Number(text);
  };
  const value = (): string | number => {
    const kind = String.fromCharCode(bytes[at]!);
    expect(`${kind}:`);
    if (kind === "i") return number(";");
    if (kind !== "s") throw new SyntaxError(`unsupported type ${kind} at byte ${at}`);
    const length = number(":");
    expect('"');
    const str = decoder.decode(bytes.subarray(at, at + length));
    at += length;
    expect('";');
    return str;
  };
  expect("a:");
  const count = number(":");
  expect("{");
  const out: Record<string, string | number> = {};
  for (let i = 0; i < count; i++) {
    const key = value();
    out[String(key)] = value();
  }
  expect("}");
  if (at !== bytes.length) throw new SyntaxError(`trailing bytes after byte ${at}`);
  return out;
}
