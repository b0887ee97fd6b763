// Taking over an appliance (issue 24): userids kept and never reused, hardware tokens from PSKC
// files that python-pskc (an independent producer) writes, and an export that a fresh D1 imports
// with every user validating oathtool's codes under the same userid.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execute, newEncryptionKey } from "../../scripts/lib/d1";
import { type LocalServer, startLocalServer } from "../../scripts/lib/local-server";
import { runCli } from "./support/cli";
import { freshFetch } from "./support/fresh-fetch";
import { generateApiKey } from "../../src/crypto/api-keys";
import { base32Decode } from "../../src/otp/base32";

const API_KEY = generateApiKey();
const KEYS = newEncryptionKey("mig");
const PSK = "000102030405060708090a0b0c0d0e0f";
const dir = mkdtempSync(path.join(tmpdir(), "totp-edge-migration-test-"));
let server: LocalServer;

interface Token {
  hex: string;
  algorithm: "SHA1" | "SHA256" | "SHA512";
  digits: number;
  period: number;
  drift: number;
}
/** Every user the test gave a token, by userid: the round trip checks each of them. */
const tokens = new Map<number, Token>();
const sha1 = (hex: string): Token => ({ hex, algorithm: "SHA1", digits: 6, period: 30, drift: 0 });
const ascii = (text: string) => Buffer.from(text).toString("hex");

/** oathtool's code for the token now (at its drift: a token 1 step slow shows the previous step's code). */
function oathtool(token: Token): string {
  const at = Math.floor(Date.now() / 1000) + token.drift * token.period;
  return execFileSync(
    "oathtool",
    [`--totp=${token.algorithm}`, "-d", String(token.digits), "-s", `${token.period}s`, "-N", `@${at}`, token.hex],
    {
      encoding: "utf8",
    },
  ).trim();
}

/** A PSKC file written by python-pskc: plain, or encrypted with a pre-shared key or a password. */
function pythonPskc(file: string, keys: Array<{ serial: string } & Token>, encryption: string): string {
  const script = `
import json, sys, pskc
p = pskc.PSKC()
for k in json.loads(sys.argv[2]):
    p.add_key(id=k["serial"], serial=k["serial"], secret=bytes.fromhex(k["hex"]), algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp",
              algorithm_suite="HMAC-" + k["algorithm"], response_length=k["digits"], response_encoding="DECIMAL",
              time_interval=k["period"], time_drift=k["drift"])
${encryption}
p.write(sys.argv[1])`;
  execFileSync("/usr/bin/python3", ["-c", script, file, JSON.stringify(keys)]);
  return file;
}

const cli = (script: string, args: string[], persistTo = server.persistTo) => runCli(script, args, persistTo, KEYS);

const file = (name: string, text: string) => {
  const at = path.join(dir, name);
  writeFileSync(at, text);
  return at;
};
const count = (table: string, persistTo = server.persistTo) =>
  execute<{ n: number }>(`SELECT count(*) AS n FROM ${table}`, { persistTo })[0]!.n;

async function api(base: string, query: string) {
  const res = await freshFetch(`${base}${query}${query.includes("?") ? "&" : "?"}api_key=${API_KEY}&format=1`);
  return JSON.parse(await res.text()) as { response: string; userid?: number; hash?: string };
}
const deleteUser = async (user: string) =>
  (await freshFetch(`${server.url}/api.php?action=deletelocaluser&user=${user}&api_key=${API_KEY}`)).text();
const validate = (base: string, userId: number, token: Token) => api(base, `/validate?userid=${userId}&token=${oathtool(token)}`);

beforeAll(async () => {
  server = await startLocalServer({ apiKeys: { migration: API_KEY }, vars: { SECRET_ENCRYPTION_KEYS: KEYS } });
}, 120_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("taking over an appliance", () => {
  it("keeps userids and created times, maps new ones, refuses another user's userid or username by line, skips the same rows again", async () => {
    const users = file(
      "users.csv",
      [
        "userid,username,created,secret_hex",
        `100,alice@example.com,1600000000,${ascii("alice-seed-123456789")}`,
        `7,bob,1650000000,${ascii("bob-seed-1234567890a")}`,
        `,carol,,${ascii("carol-seed-123456789")}`,
      ].join("\n"),
    );
    const first = await cli("import", [users, "--map", path.join(dir, "map.csv")]);
    expect(first.stdout).toContain("Done: 3 imported, 0 skipped (username exists), 0 rejected.");
    expect(readFileSync(path.join(dir, "map.csv"), "utf8")).toBe("username,userid\ncarol,101\n");
    tokens.set(100, sha1(ascii("alice-seed-123456789")));
    tokens.set(7, sha1(ascii("bob-seed-1234567890a")));
    tokens.set(101, sha1(ascii("carol-seed-123456789")));
    const listed = JSON.parse(await (await freshFetch(`${server.url}/api.php?action=listusers&api_key=${API_KEY}`)).text());
    expect(listed).toMatchObject([
      { userid: 7, username: "bob", timestamp: 1650000000 },
      { userid: 100, username: "alice@example.com", timestamp: 1600000000 },
      { userid: 101, username: "carol" },
    ]);
    expect(await validate(server.url, 100, tokens.get(100)!)).toMatchObject({ response: "OTP is valid" });

    const clash = file(
      "clash.csv",
      `userid,username,secret_hex\n7,dave,${ascii("dave-seed-1234567890")}\n55,ALICE@example.com,${ascii("x".repeat(20))}\n`,
    );
    const refused = await cli("import", [clash]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("line 2: the userid belongs to another user");
    expect(refused.stderr).toContain("line 3: the username exists under another userid (100)");
    expect(count("users")).toBe(3);
    const again = await cli("import", [users]);
    expect(again.stdout).toContain("Done: 0 imported, 3 skipped (username exists), 0 rejected.");
  }, 180_000);

  it("createuser goes on above the highest userid ever given, and never gives out a deleted one", async () => {
    const created = await api(server.url, "/createuser?email=erin@example.com");
    expect(created.userid).toBe(102);
    expect(await deleteUser("erin@example.com")).toBe("Success: user deleted");
    const next = await api(server.url, "/createuser?email=frank@example.com");
    expect(next.userid).toBe(103);
    tokens.set(103, sha1(Buffer.from(base32Decode(next.hash!)).toString("hex")));
    const high = await cli("import", [file("high.csv", `userid,username,secret_hex\n500,grace,${ascii("grace-seed-123456789")}\n`)]);
    expect(high.code).toBe(0);
    tokens.set(500, sha1(ascii("grace-seed-123456789")));
    expect((await api(server.url, "/createuser?email=heidi@example.com")).userid).toBe(501);
    expect(await deleteUser("heidi@example.com")).toBe("Success: user deleted");
  }, 180_000);

  it("imports python-pskc's plain, pre-shared-key and password files: assigned tokens validate oathtool's codes, the others wait", async () => {
    const files = [
      ["plain", "", []],
      ["psk", `p.encryption.setup_preshared_key(key=bytes.fromhex("${PSK}"))`, ["--psk", PSK]],
      ["password", 'p.encryption.setup_pbkdf2("correct horse battery")', ["--password", "correct horse battery"]],
    ] as const;
    for (const [name, encryption, keyArgs] of files) {
      const assigned = {
        serial: `${name}-1`,
        hex: ascii(`${name}-token-one-seed`.padEnd(32, "!")),
        algorithm: "SHA256",
        digits: 8,
        period: 60,
        drift: -1,
      } as const;
      const waiting = { serial: `${name}-2`, ...sha1(ascii(`${name}-two-seed`.padEnd(20, "?"))) };
      const pskc = pythonPskc(path.join(dir, `${name}.pskc`), [assigned, waiting], encryption);
      // A wrong pre-shared key: in the last test, on our own export.
      if (name === "password") {
        const wrong = await cli("import", [pskc, "--password", "wrong horse"]);
        expect(wrong.code, name).toBe(2);
        expect(wrong.stderr).toContain("wrong pre-shared key or password");
      }
      const users = count("users");
      const imported = await cli("import", [
        pskc,
        ...keyArgs,
        "--assign",
        file(`${name}.csv`, `serial,username\n${name}-1,${name}-user\n`),
        "--map",
        path.join(dir, `${name}-map.csv`),
      ]);
      expect(imported.stdout, imported.stderr).toContain("Done: 1 imported");
      expect(imported.stdout).toContain("Hardware tokens for the inventory: 1 added, 0 known already");
      expect(count("users")).toBe(users + 1);
      const userId = Number(
        readFileSync(path.join(dir, `${name}-map.csv`), "utf8")
          .split("\n")[1]!
          .split(",")[1],
      );
      tokens.set(userId, assigned);
      expect(await validate(server.url, userId, assigned), name).toMatchObject({ response: "OTP is valid" });
      expect(`${imported.stdout}${imported.stderr}`).not.toContain(assigned.hex.slice(0, 16));
    }
    expect(execute("SELECT serial, totp_algorithm FROM hardware_tokens ORDER BY serial", { persistTo: server.persistTo })).toEqual([
      { serial: "password-2", totp_algorithm: "SHA1" },
      { serial: "plain-2", totp_algorithm: "SHA1" },
      { serial: "psk-2", totp_algorithm: "SHA1" },
    ]);
  }, 240_000);

  it("exports CSV and JSON lines that import takes back unchanged, and an encrypted PSKC that python-pskc reads", async () => {
    for (const format of ["csv", "jsonl"]) {
      const out = path.join(dir, `export.${format}`);
      const exported = await cli("export", ["--out", out]);
      expect(exported.stdout).toBe(`Wrote ${tokens.size} users to ${out} (${format}, no secrets).\n`);
      const back = await cli("import", [out]);
      expect(back.stdout, back.stderr).toContain(`Done: 0 imported, ${tokens.size} skipped (username exists), 0 rejected.`);
    }
    const csv = readFileSync(path.join(dir, "export.csv"), "utf8").split("\n");
    expect(csv[0]).toBe("userid,username,created,confirmed,algorithm,digits,period,drift,serial,email,phone");
    expect(csv[1]).toMatch(/^7,bob,1650000000,\d+,SHA1,6,30,0,,,$/);

    const refused = await cli("export", ["--out", path.join(dir, "plain.pskc"), "--with-secrets"]);
    expect(refused.code).toBe(2);
    const pskc = path.join(dir, "all.pskc");
    const exported = await cli("export", ["--out", pskc, "--with-secrets", "--psk", PSK]);
    expect(exported.stdout).toBe(`Wrote ${tokens.size} users and 3 inventory tokens to ${pskc} (PSKC, seeds encrypted).\n`);
    expect(readFileSync(pskc, "utf8")).not.toContain(tokens.get(100)!.hex);
    const read = execFileSync(
      "/usr/bin/python3",
      [
        "-c",
        `import pskc, sys\np = pskc.PSKC(sys.argv[1]); p.encryption.key = bytes.fromhex("${PSK}")\nfor k in p.keys: print(k.key_userid, k.secret.hex())`,
        pskc,
      ],
      { encoding: "utf8" },
    );
    expect(read).toContain(`alice@example.com ${tokens.get(100)!.hex}`);
    expect(read.trim().split("\n")).toHaveLength(tokens.size + 3);
  }, 240_000);

  it("the encrypted export imports into an empty D1 where every user validates under the same userid", async () => {
    await server.stop();
    server = await startLocalServer({ apiKeys: { migration: API_KEY }, vars: { SECRET_ENCRYPTION_KEYS: KEYS } });
    expect(count("users")).toBe(0);
    const wrong = await cli("import", [path.join(dir, "all.pskc"), "--psk", PSK.replace("0f", "0e")]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("wrong pre-shared key or password");
    expect(count("users")).toBe(0);
    const again = await cli("import", [path.join(dir, "all.pskc"), "--psk", PSK, "--worker", server.url]);
    expect(again.stdout, again.stderr).toContain(`Done: ${tokens.size} imported, 0 skipped (username exists), 0 rejected.`);
    expect(again.stdout).toContain("Hardware tokens for the inventory: 3 added");
    for (const [userId, token] of tokens) {
      expect(await validate(server.url, userId, token), String(userId)).toMatchObject({ response: "OTP is valid" });
    }
    expect((await api(server.url, "/createuser?email=ivan@example.com")).userid).toBe(Math.max(...tokens.keys()) + 1);
  }, 240_000);
});
