import { env } from "cloudflare:workers";
import { createApp } from "../src/index";
import { beforeAll, describe, expect, it } from "vitest";
import { newApiKey, testApp, uniqueEmail } from "./helpers";

const call = testApp();
let key: string;
beforeAll(async () => {
  key = await newApiKey();
});

const createUser = (query: string) => call(`/createuser?api_key=${encodeURIComponent(key)}&${query}`);
const userCount = async () => (await env.DB.prepare("SELECT count(*) AS n FROM users").first<{ n: number }>())!.n;

describe("createuser success in every format", () => {
  it("format 1: JSON with the contract's fields in order", async () => {
    const email = uniqueEmail();
    const res = await createUser(`email=${encodeURIComponent(email)}&format=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const text = await res.text();
    const body = JSON.parse(text);
    expect(Object.keys(body)).toEqual(["response", "userid", "success", "hash", "hashqr"]);
    expect(body.response).toBe("user created");
    expect(body.success).toBe("true");
    expect(Number.isInteger(body.userid) && body.userid > 0).toBe(true);
    // 160 bits = 32 base32 characters, no padding (RFC 4226 §4, RFC 4648).
    expect(body.hash).toMatch(/^[A-Z2-7]{32}$/);
    expect(body.hashqr).toBe(`https://totp.test/qr/${body.userid}.svg?secret=${body.hash}`);
    // The WordPress plugin splits hashqr on "?secret" to show the key for manual entry.
    expect(body.hashqr.split("?secret=")[1]).toBe(body.hash);
  });

  it("format 0 (and absent): PHP-serialized with userid as an integer", async () => {
    for (const format of ["&format=0", ""]) {
      const res = await createUser(`email=${encodeURIComponent(uniqueEmail())}${format}`);
      expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(await res.text()).toMatch(
        /^a:5:\{s:8:"response";s:12:"user created";s:6:"userid";i:[1-9][0-9]*;s:7:"success";s:4:"true";s:4:"hash";s:32:"[A-Z2-7]{32}";s:6:"hashqr";s:(\d+):"https:\/\/totp\.test\/qr\/[0-9]+\.svg\?secret=[A-Z2-7]{32}";\}$/,
      );
    }
  });

  it("format 2: XML", async () => {
    const res = await createUser(`email=${encodeURIComponent(uniqueEmail())}&format=2`);
    expect(res.headers.get("content-type")).toBe("application/xml; charset=utf-8");
    expect(await res.text()).toMatch(
      /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<result><response>user created<\/response><userid>\d+<\/userid><success>true<\/success><hash>[A-Z2-7]{32}<\/hash><hashqr>https:\/\/totp\.test\/qr\/\d+\.svg\?secret=[A-Z2-7]{32}<\/hashqr><\/result>$/,
    );
  });

  it("format 3: exactly true", async () => {
    const res = await createUser(`email=${encodeURIComponent(uniqueEmail())}&format=3`);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await res.text()).toBe("true");
  });
});

describe("usernames", () => {
  it("normalizes a phone to +digits and uses it as the username", async () => {
    const digits = `4179${Date.now().toString().slice(-7)}`;
    const res = await createUser(
      `phone=${encodeURIComponent(`(${digits.slice(0, 2)}) ${digits.slice(2, 5)}-${digits.slice(5)}`)}&format=1`,
    );
    const { userid } = (await res.json()) as { userid: number };
    const row = await env.DB.prepare("SELECT username, phone FROM users WHERE id = ?").bind(userid).first();
    expect(row).toEqual({ username: `+${digits}`, phone: `+${digits}` });
    const again = await createUser(`phone=%2B${digits}&format=1`);
    expect(await again.json()).toMatchObject({ code: 5, response: "user already exists" });
  });

  it("treats email usernames case-insensitively", async () => {
    const email = uniqueEmail("Case");
    await createUser(`email=${encodeURIComponent(email)}&format=1`);
    const res = await createUser(`email=${encodeURIComponent(email.toUpperCase())}&format=1`);
    expect(await res.json()).toEqual({ response: "user already exists", success: "false", error: "user already exists", code: 5 });
  });

  it("prefers the username extension over email and phone", async () => {
    const username = `ext-${Date.now()}`;
    const res = await createUser(`username=${username}&email=${encodeURIComponent(uniqueEmail())}&format=1`);
    const { userid } = (await res.json()) as { userid: number };
    expect(await env.DB.prepare("SELECT username FROM users WHERE id = ?").bind(userid).first("username")).toBe(username);
  });

  it("creates exactly one user when the same username races itself", async () => {
    const email = uniqueEmail("race");
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        createUser(`email=${encodeURIComponent(email)}&format=1`).then((r) => r.json() as Promise<{ success: string }>),
      ),
    );
    expect(answers.filter((a) => a.success === "true")).toHaveLength(1);
    const n = await env.DB.prepare("SELECT count(*) AS n FROM users WHERE username_key = ?").bind(email.toLowerCase()).first("n");
    expect(n).toBe(1);
  });
});

describe("createuser errors: HTTP 200, response/success/error/code, nothing written", () => {
  const cases: Array<[string, string, number, string]> = [
    ["no key", "email=a@b.co", 1, "invalid api key"],
    ["neither phone nor email", "pin=1234", 2, "missing parameter: phone"],
    ["type 1", "email=t1@b.co&type=1", 3, "invalid parameter: type"],
    ["type text", "email=t2@b.co&type=sms", 3, "invalid parameter: type"],
    ["phone with letters", "phone=12345abc", 23, "invalid parameter: phone"],
    ["phone too long", "phone=%2B1234567890123456", 23, "invalid parameter: phone"],
    ["phone leading zero", "phone=0041791234567", 23, "invalid parameter: phone"],
    ["email without domain", "email=alice", 24, "invalid parameter: email"],
    ["email with space", "email=a%20b@c.de", 24, "invalid parameter: email"],
    ["oversized email", `email=${"a".repeat(1100)}@b.co`, 3, "invalid parameter: email"],
    ["injection attempt as username", "email=x@y.zz&username=%00%27;DROP%20TABLE%20users;--", 3, "invalid parameter: username"],
  ];

  it.each(cases)("%s: code %i", async (_name, query, code, text) => {
    const before = await userCount();
    for (const format of [1, 0, 2, 3]) {
      const q = code === 1 ? `/createuser?${query}&format=${format}` : null;
      const res = q ? await call(q) : await createUser(`${query}&format=${format}`);
      expect(res.status).toBe(200);
      const body = await res.text();
      if (format === 1) expect(JSON.parse(body)).toEqual({ response: text, success: "false", error: text, code });
      if (format === 0) {
        const len = new TextEncoder().encode(text).length;
        expect(body).toBe(
          `a:4:{s:8:"response";s:${len}:"${text}";s:7:"success";s:5:"false";s:5:"error";s:${len}:"${text}";s:4:"code";i:${code};}`,
        );
      }
      if (format === 2) {
        expect(body).toBe(
          `<?xml version="1.0" encoding="UTF-8"?>\n<result><response>${text}</response><success>false</success><error>${text}</error><code>${code}</code></result>`,
        );
      }
      if (format === 3) expect(body).toBe("false");
    }
    expect(await userCount()).toBe(before);
  });

  it("a bad format answers code 7 in format 0 and creates nothing", async () => {
    const before = await userCount();
    const res = await createUser(`email=${encodeURIComponent(uniqueEmail())}&format=xml`);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await res.text()).toBe(
      'a:4:{s:8:"response";s:14:"invalid format";s:7:"success";s:5:"false";s:5:"error";s:14:"invalid format";s:4:"code";i:7;}',
    );
    expect(await userCount()).toBe(before);
  });

  it("points hashqr at PUBLIC_ORIGIN when set, whatever Host the request came with", async () => {
    const app = createApp();
    const email = uniqueEmail("origin");
    const res = await app.fetch(
      new Request(`https://attacker.example/createuser?api_key=${key}&email=${encodeURIComponent(email)}&format=1`, {
        headers: { Host: "attacker.example" },
      }),
      { ...env, PUBLIC_ORIGIN: "https://totp.example.com" },
    );
    const body = (await res.json()) as { userid: number; hash: string; hashqr: string };
    expect(body.hashqr).toBe(`https://totp.example.com/qr/${body.userid}.svg?secret=${body.hash}`);
  });

  it("stores the secret encrypted, never in clear", async () => {
    const res = await createUser(`email=${encodeURIComponent(uniqueEmail())}&format=1`);
    const { userid, hash } = (await res.json()) as { userid: number; hash: string };
    const row = await env.DB.prepare("SELECT * FROM users WHERE id = ?").bind(userid).first<Record<string, unknown>>();
    const raw = JSON.stringify(row);
    expect(raw).not.toContain(hash);
    expect(raw).not.toContain(hash.toLowerCase());
    expect(row!.secret_key_id).toBe("t1");
  });
});
