// The conformance suite's own readers of the answer formats: they must be strict, or a server
// bug in a format would pass unnoticed.
import { describe, expect, it } from "vitest";
import { parsePhpSerialized } from "../../conformance/src/parse/php";
import { parseFlatXml } from "../../conformance/src/parse/xml";
import { parseJsonObject } from "../../conformance/src/parse/json";
import { BodyParseError } from "../../conformance/src/parse/parsed-body";
import { matchValue } from "../../conformance/src/match";
import { RunIdentity, Scope } from "../../conformance/src/placeholders";
import { totpAt, waitBeforeToken, wrongTotp } from "../../conformance/src/totp";

describe("conformance parsers", () => {
  it("reads PHP serialize() with UTF-8 byte lengths, in order, and refuses a wrong length", () => {
    expect(parsePhpSerialized('a:3:{s:8:"response";s:5:"café";s:6:"userid";i:42;s:2:"ok";b:1;}').entries).toEqual([
      ["response", "café"],
      ["userid", 42],
      ["ok", true],
    ]);
    expect(() => parsePhpSerialized('a:1:{s:8:"response";s:4:"café";}')).toThrow(BodyParseError);
    expect(() => parsePhpSerialized('a:2:{s:1:"a";i:1;}')).toThrow(BodyParseError);
    expect(() => parsePhpSerialized('a:1:{s:1:"a";i:1;}x')).toThrow(/after the array/);
  });

  it("reads flat XML with its declaration, root, entities and empty elements", () => {
    const xml = parseFlatXml(
      '<?xml version="1.0" encoding="UTF-8"?>\n<result><response>a &amp; b</response><userid/><code>3</code></result>',
    );
    expect(xml).toEqual({
      declaration: '<?xml version="1.0" encoding="UTF-8"?>',
      root: "result",
      entries: [
        ["response", "a & b"],
        ["userid", ""],
        ["code", "3"],
      ],
    });
    expect(() => parseFlatXml("<result><a>1</b></result>")).toThrow(BodyParseError);
    expect(() => parseFlatXml("<result><a>1</a></result>trailing")).toThrow(BodyParseError);
  });

  it("keeps JSON field order and types", () => {
    expect(parseJsonObject('{"userid":7,"response":"x"}').entries).toEqual([
      ["userid", 7],
      ["response", "x"],
    ]);
    expect(() => parseJsonObject("[1]")).toThrow(BodyParseError);
  });

  it("matches typed values strictly except where the wire has no types", () => {
    const scope = new Scope(new RunIdentity("abc"), () => 0);
    scope.set("u.userid", 42);
    expect(matchValue("userid", "{{u.userid}}", 42, scope, false)).toEqual([]);
    expect(matchValue("userid", "{{u.userid}}", "42", scope, false)).toEqual([{ where: "userid", expected: "42", actual: '"42"' }]);
    expect(matchValue("userid", "{{u.userid}}", "42", scope, true)).toEqual([]);
    expect(matchValue("code", { absent: true }, 1, scope, false)).toHaveLength(1);
  });

  it("computes RFC 6238 tokens, a surely wrong one, and waits near a step boundary", () => {
    const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; // RFC 6238 appendix B, SHA-1 ("12345678901234567890")
    expect(totpAt(secret, 59_000, 0)).toBe("287082"); // the 8-digit vector 94287082, last 6 digits
    const wrong = wrongTotp(secret, 59_000);
    for (let offset = -10; offset <= 10; offset++) expect(totpAt(secret, 59_000, offset)).not.toBe(wrong);
    expect(waitBeforeToken(27_000)).toBe(0); // 3 s left in the step
    expect(waitBeforeToken(28_500)).toBe(1_550); // 1.5 s left: wait for the next step
    expect(waitBeforeToken(60_000)).toBe(0);
  });
});
