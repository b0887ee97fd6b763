import { describe, expect, it } from "vitest";
import { checkedRows, type ImportRow, type RowError } from "../scripts/lib/import-rows";
import { base32Encode } from "../src/otp/base32";

function read(text: string): { rows: ImportRow[]; errors: string[] } {
  const errors: RowError[] = [];
  const rows = [...checkedRows(text, errors)];
  return { rows, errors: errors.map((e) => e.message) };
}

const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const BYTES = [...new TextEncoder().encode("Hello!\u00de\u00ad\u00be\u00ef")];

describe("import files: what a row may say", () => {
  it("CSV with a header in any case and order, quoted fields, CRLF, a BOM and blank lines; defaults for what is not given", () => {
    const text =
      '\uFEFFUserName,Secret,EMAIL\r\n"smith, j",JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP,\r\n\r\n"O""Brien",jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp,j@example.com\r\n' +
      '"two\nlines",JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP,\nlast,JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP,';
    const { rows, errors } = read(text);
    // A quoted newline is part of its field (and no username may hold one); the lines after it count on.
    expect(errors).toEqual(["line 5: username must be 1 to 255 characters without control characters"]);
    expect(rows.map((r) => [r.line, r.username, r.email])).toEqual([
      [2, "smith, j", null],
      [4, 'O"Brien', "j@example.com"],
      [7, "last", null],
    ]);
    expect(rows.every((r) => base32Encode(r.secret!) === SECRET)).toBe(true);
    expect(rows[0]!.token).toEqual({ algorithm: "SHA1", digits: 6, period: 30 });
  });

  it("the forms a secret and its parameters come in: base32 with or without padding, any case, grouped; hex; SHA-256 spelt either way", () => {
    const { rows, errors } = read(
      [
        "username,secret,secret_hex,algorithm,digits,period,phone",
        `a,${SECRET},,SHA256,8,60,+41 79 123 45 67`,
        `b,${SECRET.slice(0, 26)}======,,sha-512,6,30,`,
        `c,,${BYTES.map((b) => b.toString(16).padStart(2, "0")).join("")},sha1,,,`,
      ].join("\n"),
    );
    expect(errors).toEqual([]);
    expect(rows.map((r) => [r.username, r.token, r.phone])).toEqual([
      ["a", { algorithm: "SHA256", digits: 8, period: 60 }, "+41791234567"],
      ["b", { algorithm: "SHA512", digits: 6, period: 30 }, null],
      ["c", { algorithm: "SHA1", digits: 6, period: 30 }, null],
    ]);
    expect([...rows[2]!.secret!]).toEqual(BYTES);
    expect(rows[1]!.secret).toHaveLength(16);
  });

  it("JSON lines: one object per line, numbers for numbers", () => {
    const { rows, errors } = read(
      `{"username":"Alice@Example.com","secret":"${SECRET}","digits":8,"period":60,"algorithm":"SHA256"}\n\n{"username":"bob","secret_hex":"${"ab".repeat(20)}"}\n`,
    );
    expect(errors).toEqual([]);
    expect(rows.map((r) => [r.line, r.usernameKey, r.token.digits, r.token.period])).toEqual([
      [1, "alice@example.com", 8, 60],
      [3, "bob", 6, 30],
    ]);
  });
});

describe("import files: every bad row, with its line and why, never a secret", () => {
  it("CSV", () => {
    const secrets = ["JBSWY3DPEHPK3PX1JBSWY3DPEHPK3PXP", "JBSWY3DP", "ABCDEFGHI", "0123456789abcdeg0123", "12345"];
    const text = [
      "username,secret,secret_hex,algorithm,digits,period,email",
      `ok,${SECRET},,,,,`,
      `bad1,${secrets[0]},,,,,`,
      `short,${secrets[1]},,,,,`,
      `badlength,${secrets[2]},,,,,`,
      `hex,,${secrets[3]},,,,`,
      `oddhex,,${secrets[4]},,,,`,
      `both,${SECRET},${"ab".repeat(20)},,,,`,
      "neither,,,,,,",
      `alg,${SECRET},,MD5,,,`,
      `dig,${SECRET},,,7,,`,
      `per,${SECRET},,,,45,`,
      `mail,${SECRET},,,,,not-an-address`,
      `,${SECRET},,,,,`,
      `OK,${SECRET},,,,,`,
      `ok,${SECRET},,,,,`,
      "few,fields",
    ].join("\n");
    const { rows, errors } = read(text);
    // A row without a secret is checked against the database: only a user that exists may be named so.
    expect(rows.map((r) => [r.username, r.secret === null])).toEqual([
      ["ok", false],
      ["neither", true],
      ["OK", false],
    ]);
    expect(errors).toEqual([
      "line 3: secret is not base32 (A-Z and 2-7, with or without = padding)",
      "line 4: the secret must be 10 to 128 bytes (80 to 1024 bits)",
      "line 5: secret is not base32 (A-Z and 2-7, with or without = padding)",
      "line 6: secret_hex is not an even number of hex digits",
      "line 7: secret_hex is not an even number of hex digits",
      "line 8: give only one of secret (base32) and secret_hex",
      "line 10: algorithm must be one of SHA1, SHA256, SHA512",
      "line 11: digits must be one of 6, 8",
      "line 12: period must be one of 30, 60",
      "line 13: email is not a valid address",
      "line 14: username is missing",
      "line 16: the username is also on line 2",
      "line 17: 2 fields, but the header has 7",
    ]);
    for (const secret of [SECRET, ...secrets]) expect(errors.join("\n")).not.toContain(secret);
  });

  it("a username with a control character, a JSON line that is not an object, an unknown column, a repeated email in another case", () => {
    const { errors } = read(
      [
        `{"username":"tab\\there","secret":"${SECRET}"}`,
        "[1,2]",
        `{"username":"x","secret":"${SECRET}","seed":"${SECRET}"}`,
        `{"username":"a@example.com","secret":"${SECRET}"}`,
        `{"username":"A@EXAMPLE.COM","secret":"${SECRET}","digits":true}`,
        `{"username":"A@EXAMPLE.COM","secret":"${SECRET}"}`,
      ].join("\n"),
    );
    expect(errors).toEqual([
      "line 1: username must be 1 to 255 characters without control characters",
      "line 2: not a JSON object",
      "line 3: field 3 of the object is not a known column name (known: userid, username, created, confirmed, secret, secret_hex, algorithm, digits, period, drift, serial, email, phone)",
      "line 5: digits must be a string or a number",
      "line 6: the username is also on line 4",
    ]);
  });

  it("a header that cannot be read stops at once: an unknown column, no username, an unclosed quote", () => {
    expect(read(`user,secret\nalice,${SECRET}`).errors).toEqual([
      "line 1: column 1 of the header (the first line, fields separated by commas) is not a known column name (known: userid, username, created, confirmed, secret, secret_hex, algorithm, digits, period, drift, serial, email, phone)",
    ]);
    expect(read(`secret\n${SECRET}`).errors).toEqual(["line 1: the header has no username column"]);
    expect(read(`username,secret\nalice,${SECRET}\n"bob,${SECRET}\n`).errors).toEqual(["line 3: a quoted field is not closed"]);
  });

  it("a file without a header row, or separated by semicolons, is refused by the column's position: never a cell's content", () => {
    for (const text of [`alice,${SECRET}\nbob,${SECRET}`, `username;secret\nalice;${SECRET}`, `{"${SECRET}":"alice"}`]) {
      const { errors } = read(text);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^line 1: (column|field) 1 of the (header|object)/);
      expect(errors[0]).not.toContain(SECRET);
      expect(errors[0]).not.toContain("alice");
    }
  });
});

describe("import files: the identity columns", () => {
  it("userid, created, confirmed and drift as given; confirmed present but empty is unconfirmed; absent is now", () => {
    const { rows, errors } = read(
      [
        "userid,username,created,confirmed,secret,drift,serial",
        `42,alice,1700000000,1700000100,${SECRET},-2,GALT0001`,
        `,bob,,,${SECRET},,`,
      ].join("\n"),
    );
    expect(errors).toEqual([]);
    expect(rows.map((r) => [r.userId, r.username, r.createdAt, r.confirmedAt, r.drift, r.serial])).toEqual([
      [42, "alice", 1700000000, 1700000100, -2, "GALT0001"],
      [null, "bob", null, null, 0, null],
    ]);
    const json = read(`{"userid":7,"username":"carol","secret":"${SECRET}"}`);
    expect(json.rows[0]).toMatchObject({ userId: 7, confirmedAt: undefined });
  });

  it("refuses a bad or repeated userid, a bad time, drift or serial, and a repeated serial, by line", () => {
    const { errors } = read(
      [
        "userid,username,created,confirmed,secret,drift,serial",
        `0,a,,,${SECRET},,`,
        `x1,b,,,${SECRET},,`,
        `5,c,yesterday,,${SECRET},,`,
        `5,d,,1.5,${SECRET},,`,
        `6,e,,,${SECRET},1000001,`,
        `7,f,,,${SECRET},,S1`,
        `8,g,,,${SECRET},,S1`,
        `9,h,,,${SECRET},,"bad\u200bserial"`,
      ].join("\n"),
    );
    expect(errors).toEqual([
      "line 2: userid must be a positive whole number",
      "line 3: userid must be a positive whole number",
      "line 4: created must be a time in Unix seconds",
      "line 5: confirmed must be a time in Unix seconds",
      "line 6: drift must be a whole number of steps between -100000 and 100000",
      "line 8: the serial is also on line 7",
      "line 9: serial must be 1 to 64 characters without control characters",
    ]);
  });
});
