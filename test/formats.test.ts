import { describe, expect, it } from "vitest";
import { ApiError } from "../src/errors";
import type { Fields } from "../src/formats/fields";
import { Params } from "../src/http/params";
import { phpSerialize } from "../src/formats/php-serialize";
import { renderFields } from "../src/formats/render";
import { escapeXml } from "../src/formats/xml";

const created: Fields = [
  ["response", "user created"],
  ["userid", 42],
  ["success", "true"],
];

describe("PHP serialize (format 0)", () => {
  it("writes the contract's example byte for byte", () => {
    expect(phpSerialize(created)).toBe('a:3:{s:8:"response";s:12:"user created";s:6:"userid";i:42;s:7:"success";s:4:"true";}');
  });

  it("counts string lengths in UTF-8 bytes, as PHP does (ë is 2, each kana/kanji 3)", () => {
    expect(phpSerialize([["username", "zoë@例え.jp"]])).toBe('a:1:{s:8:"username";s:14:"zoë@例え.jp";}');
  });
});

describe("XML (format 2)", () => {
  it("escapes every markup character", () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;");
  });

  it("replaces characters XML 1.0 cannot carry instead of emitting broken XML", () => {
    expect(escapeXml("a\u0000b\u001bc\ud800d\tok")).toBe("a\ufffdb\ufffdc\ufffdd\tok");
  });

  it("renders a declaration and one <result> child per field, in order", () => {
    expect(renderFields(created, 2, "success").body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<result><response>user created</response><userid>42</userid><success>true</success></result>',
    );
  });
});

const paramsWithFormat = (raw: string | undefined) =>
  Params.fromRequest(new Request(`https://totp.test/validate${raw === undefined ? "" : `?format=${encodeURIComponent(raw)}`}`));

describe("format selection", () => {
  it.each([
    [undefined, 0],
    ["", 0],
    ["0", 0],
    ["1", 1],
    ["2", 2],
    ["3", 3],
  ] as const)("format=%s is %d", async (raw, expected) => {
    expect((await paramsWithFormat(raw)).format()).toBe(expected);
  });

  it.each(["4", "json", "01", " 1", "-1", "1.0"])("format=%j is refused with code 7", async (raw) => {
    const params = await paramsWithFormat(raw);
    expect(() => params.format()).toThrow(ApiError);
    try {
      params.format();
    } catch (error) {
      expect((error as ApiError).code).toBe(7);
    }
  });

  it("format 3 reduces an answer to its flag field", () => {
    expect(renderFields(created, 3, "success")).toEqual({ body: "true", contentType: "text/plain; charset=utf-8" });
    expect(renderFields([["validation", "false"]], 3, "validation").body).toBe("false");
  });

  it("JSON keeps the field order", () => {
    expect(renderFields(created, 1, "success").body).toBe('{"response":"user created","userid":42,"success":"true"}');
  });
});
