// A strict reader of PHP serialize() output for a flat associative array, written for this suite
// so it shares no code with the server. String lengths are UTF-8 byte counts, as PHP writes them.
import { BodyParseError, type FieldValue, type ParsedRecord } from "./parsed-body.js";

export function parsePhpSerialized(text: string): ParsedRecord {
  const reader = new PhpReader(Buffer.from(text, "utf8"));
  const entries = reader.readArray();
  if (reader.pos !== reader.bytes.length) reader.fail("unexpected data after the array");
  return { entries };
}

class PhpReader {
  pos = 0;
  constructor(readonly bytes: Buffer) {}

  fail(message: string): never {
    throw new BodyParseError(`not PHP-serialized: ${message} at byte ${this.pos}`);
  }

  private expect(literal: string): void {
    const end = this.pos + literal.length;
    if (this.bytes.toString("latin1", this.pos, end) !== literal) this.fail(`expected '${literal}'`);
    this.pos = end;
  }

  private readUntil(terminator: string): string {
    const end = this.bytes.indexOf(terminator, this.pos, "latin1");
    if (end < 0) this.fail(`missing '${terminator}'`);
    const value = this.bytes.toString("utf8", this.pos, end);
    this.pos = end + 1;
    return value;
  }

  private readInteger(terminator: string): number {
    const digits = this.readUntil(terminator);
    if (!/^-?\d+$/.test(digits)) this.fail(`'${digits}' is not an integer`);
    return Number(digits);
  }

  readArray(): Array<[string, FieldValue]> {
    this.expect("a:");
    const count = this.readInteger(":");
    this.expect("{");
    const entries: Array<[string, FieldValue]> = [];
    for (let i = 0; i < count; i++) {
      const key = this.readValue();
      if (typeof key !== "string" && typeof key !== "number") this.fail("array key is neither string nor integer");
      entries.push([String(key), this.readValue()]);
    }
    this.expect("}");
    return entries;
  }

  private readValue(): FieldValue {
    const kind = this.bytes.toString("latin1", this.pos, this.pos + 2);
    this.pos += 2;
    switch (kind) {
      case "s:": {
        const length = this.readInteger(":");
        this.expect('"');
        const end = this.pos + length;
        if (end > this.bytes.length) this.fail(`string length ${length} runs past the end`);
        const value = this.bytes.toString("utf8", this.pos, end);
        this.pos = end;
        this.expect('";');
        return value;
      }
      case "i:":
        return this.readInteger(";");
      case "b:": {
        const flag = this.readUntil(";");
        if (flag !== "0" && flag !== "1") this.fail(`'${flag}' is not a boolean`);
        return flag === "1";
      }
      case "d:": {
        const value = Number(this.readUntil(";"));
        if (Number.isNaN(value)) this.fail("bad double");
        return value;
      }
      case "N;":
        return null;
      default:
        this.pos -= 2;
        return this.fail(`unsupported value type '${kind}'`);
    }
  }
}
