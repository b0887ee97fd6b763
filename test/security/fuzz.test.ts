import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/index";
import { enroll, newApiKey, testApp } from "../helpers";
import { phpUnserialize } from "../php-unserialize";

/** How many requests (FUZZ_RUNS, `npm run fuzz -- --runs N`) and from which seed (FUZZ_SEED). */
const RUNS = Number(env.FUZZ_RUNS ?? 10_000);
const SEED = Number(env.FUZZ_SEED ?? 20261125);

const KNOWN_CODES = new Set([1, 2, 3, 4, 5, 6, 7, 8, 23, 24]);
const NAMES = [
  "api_key",
  "api",
  "format",
  "phone",
  "email",
  "type",
  "pin",
  "username",
  "userid",
  "token",
  "send",
  "action",
  "user",
  "localpassword",
  "limit",
  "offset",
  "x",
  "api_key[]",
  "",
];
const HOSTILE = [
  "' OR '1'='1",
  "1; DROP TABLE users; --",
  '" onmouseover="x',
  "<![CDATA[x]]>",
  "</result><code>0</code>",
  'a:1:{s:8:"response";s:2:"ok";}',
  's:99:"',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text is the attack (Log4Shell).
  "${jndi:ldap://x}",
  "../../etc/passwd",
  "%00",
  "\u0000",
  "\uFEFF",
  "\uD800",
  "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
  "ø".repeat(600),
  "+41 (79) 123-45-67",
  "0".repeat(20),
  "000000",
  "123456",
  "-1",
  "1e3",
  "0x1F",
];
/** Raw (already percent-encoded) fragments, some of them invalid encodings on purpose. */
const RAW = ["%", "%zz", "%E0%A4", "%C0%AF", "%FF%FE", "%%41", "+", "%2B", "&&", "==", "%0D%0AX-Injected:%201"];

const value = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom(...HOSTILE),
  fc.integer({ min: -5, max: 2 ** 40 }).map(String),
  fc.integer({ min: 1025, max: 3000 }).map((n) => "x".repeat(n)),
);
/** Percent-encodes every byte of the UTF-8 form (lone surrogates included, as U+FFFD). */
const encode = (text: string) => [...new TextEncoder().encode(text)].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");
const encodedPair = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...NAMES), value).map(([n, v]) => `${encode(n)}=${encode(v)}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(...RAW)).map(([n, v]) => `${n}=${v}`) },
  { weight: 1, arbitrary: fc.constantFrom(...RAW) },
);

interface FuzzRequest {
  method: string;
  path: string;
  query: string;
  body: string | null;
  /** The format the answer must come in: the requested one when valid, else 0. */
  format: 0 | 1 | 2 | 3;
}

/**
 * A request that must change nothing: whatever else it carries, its last word on some parameter
 * makes it invalid (a bad type, phone, email, token, userid or user), so even with the right key
 * it cannot create, validate, re-password or delete anything.
 */
function requestArbitrary(apiKey: string, userId: number) {
  const formatValue = fc.constantFrom("", "0", "1", "2", "3", "4", "json", "1 ", "x".repeat(1100));
  const key = fc.constantFrom(`api_key=${apiKey}`, `api=${apiKey}`, "api_key=wrong", "", `api_key=${apiKey}x`);
  const breakers: Record<string, fc.Arbitrary<string>> = {
    "/createuser": fc.constantFrom("type=1", "type=sms", "phone=12ab34", "email=no-at-sign", "phone=", "email=a%40b"),
    "/validate": fc.constantFrom(
      `userid=${userId}&token=12a456`,
      `userid=${userId}&token=1234567`,
      "userid=abc&token=123456",
      `userid=${userId}&token=`,
      "userid=0&token=123456",
    ),
    "/api.php": fc.constantFrom(
      "action=listusers",
      "action=deletelocaluser&user=fuzz-nobody",
      "action=changelocaluserpassword&user=fuzz-nobody&localpassword=secret123",
      "action=nope",
      "action=",
    ),
    [`/qr/${userId}.svg`]: fc.constantFrom("secret=AAAA", "secret=", "secret=%zz"),
  };
  const route = fc.constantFrom(
    ...Object.keys(breakers),
    "/index.html",
    "/createuser/extra",
    "/validate.php",
    "/API.PHP",
    "/qr/x.svg",
    "/%2e%2e/validate",
  );
  return fc
    .record({
      path: route,
      method: fc.constantFrom("GET", "GET", "GET", "POST", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"),
      pairs: fc.array(encodedPair, { maxLength: 8 }),
      key,
      format: formatValue,
      inBody: fc.boolean(),
      padding: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 7000, max: 12000 }) }),
    })
    .chain((r) => (breakers[r.path] ?? fc.constant("")).map((breaker) => ({ ...r, breaker })))
    .map((r): FuzzRequest => {
      const parts = [...r.pairs, r.key, `format=${encode(r.format)}`, r.breaker, r.padding ? `pad=${"p".repeat(r.padding)}` : ""].filter(
        Boolean,
      );
      const joined = parts.join("&");
      const post = r.method === "POST" && r.inBody;
      const format = (["", "0", "1", "2", "3"].includes(r.format) ? Number(r.format || 0) : 0) as FuzzRequest["format"];
      return { method: r.method, path: r.path, query: post ? "" : joined, body: post ? joined : null, format };
    });
}

async function dump(): Promise<string> {
  const users = await env.DB.prepare("SELECT * FROM users ORDER BY id").all();
  const keys = await env.DB.prepare("SELECT * FROM api_keys ORDER BY id").all();
  return JSON.stringify([users.results, keys.results]);
}

function parseAnswer(body: string, format: number): Record<string, string | number> | string {
  switch (format) {
    case 1:
      return JSON.parse(body);
    case 2: {
      const match = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<result>((?:<(\w+)>[^<>]*<\/\2>)*)<\/result>$/.exec(body);
      if (!match) throw new SyntaxError(`not the API's XML: ${body.slice(0, 200)}`);
      return Object.fromEntries(
        [...match[1]!.matchAll(/<(\w+)>([^<>]*)<\/\1>/g)].map(([, k, v]) => [k!, /^\d+$/.test(v!) && k === "code" ? Number(v) : v!]),
      );
    }
    case 3:
      return body;
    default:
      return phpUnserialize(body);
  }
}

const API_CONTENT_TYPES = [
  "text/plain; charset=utf-8",
  "text/plain; charset=utf-8",
  "application/json; charset=utf-8",
  "application/xml; charset=utf-8",
  "text/plain; charset=utf-8",
];

function checkAnswer(req: FuzzRequest, res: Response, body: string) {
  expect(res.status, "no 5xx").toBeLessThan(500);
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("cache-control")).toBe("no-store");
  const size = new TextEncoder().encode(req.body ?? req.query).length;
  if (size > 8 * 1024 + 64) expect([404, 405, 413]).toContain(res.status);
  if (res.status !== 200) {
    expect(["Not Found", "Method Not Allowed", "Payload Too Large"]).toContain(body);
    return;
  }
  const path = req.path.replace(/\/$/, "");
  if (path === "/createuser" || path === "/validate") {
    expect(res.headers.get("content-type")).toBe(API_CONTENT_TYPES[req.format + 1]);
    const answer = parseAnswer(body, req.format);
    if (typeof answer === "string") {
      expect(answer).toBe("false");
      return;
    }
    const flag = path === "/createuser" ? "success" : "validation";
    const isError = "code" in answer;
    if (isError) {
      expect(KNOWN_CODES.has(Number(answer.code)), `known code in ${body}`).toBe(true);
      expect(answer.error).toBe(answer.response);
      expect(String(answer.error).length).toBeGreaterThan(5);
    } else {
      // Only a wrong-but-well-formed token could be answered without an error code; the breakers rule that out.
      throw new Error(`a malformed request was answered without an error: ${body}`);
    }
    expect(answer[flag]).toBe("false");
  }
  if (path === "/api.php") {
    // listusers speaks JSON (a list, or an error object); every other action plain "Error: …" text.
    if (res.headers.get("content-type") === API_CONTENT_TYPES[2]) {
      const parsed = JSON.parse(body) as unknown;
      expect(Array.isArray(parsed) || typeof (parsed as { error?: unknown }).error === "string", body).toBe(true);
    } else {
      expect(res.headers.get("content-type")).toBe(API_CONTENT_TYPES[0]);
      expect(body).toMatch(/^Error: [a-z]/);
    }
  }
}

describe("fuzzing every route with malformed requests", () => {
  let apiKey: string;
  let userId: number;
  beforeAll(async () => {
    apiKey = await newApiKey("fuzz");
    userId = (await enroll(testApp(), apiKey, "fuzz-target@example.com")).userId;
  });

  it(`${RUNS} generated requests: no 5xx, each answer well-formed in its format, nothing written`, async () => {
    const app = createApp();
    const before = await dump();
    await fc.assert(
      fc.asyncProperty(requestArbitrary(apiKey, userId), async (req) => {
        const url = `https://totp.test${req.path}${req.query ? `?${req.query}` : ""}`;
        const init: RequestInit = { method: req.method };
        if (req.body !== null) {
          init.body = req.body;
          init.headers = { "Content-Type": "application/x-www-form-urlencoded" };
        }
        const res = await app.fetch(new Request(url, init), env);
        checkAnswer(req, res, await res.text());
      }),
      { numRuns: RUNS, seed: SEED },
    );
    expect(await dump()).toBe(before);
  }, 600_000);
});
