import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ErrorCode } from "../src/errors";
import { Params } from "../src/http/params";
import { createApp } from "../src/index";
import { ERROR_CATALOGUE, apiPhpErrorBody } from "../src/openapi/answers";
import { UNKNOWN_ACTION_ERRORS } from "../src/openapi/api-php";
import type { ApiPhpAnswers } from "../src/openapi/spec";
import { changeLocalUserPasswordAction } from "../src/routes/api-php/changelocaluserpassword";
import { deleteLocalUserAction } from "../src/routes/api-php/deletelocaluser";
import { CREATEUSER_ANSWER } from "../src/routes/createuser";
import { VALIDATE_ANSWER } from "../src/routes/validate";
import { openApiPath } from "../src/openapi/spec";
import { ROUTES } from "../src/routes";
import { enroll, newApiKey, testApp, uniqueEmail } from "./helpers";

interface Operation {
  parameters: Array<{ name: string; in: string }>;
  security?: Array<Record<string, unknown>>;
  responses: Record<string, { content?: Record<string, { examples?: Record<string, { value: unknown }> }> }>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: { ErrorCode: { enum: number[] } }; securitySchemes: Record<string, { name: string }> };
}

let key: string;
let doc: Document;
const call = testApp();
beforeAll(async () => {
  key = await newApiKey();
  const res = await call("/openapi.json");
  expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
  doc = (await res.json()) as Document;
});
afterEach(() => vi.restoreAllMocks());

/** A concrete path for a documented one: `/qr/{file}` becomes a path Hono matches. */
const concrete = (path: string) => path.replace("{file}", "1.svg");
const operations = () =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
  );

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document (schema validation: test/node/openapi-schema.test.ts)", () => {
    expect(doc.openapi).toBe("3.1.0");
  });

  it("lists exactly the API routes the app registers, with their methods (the console's and portal's pages are not API)", () => {
    const registered = createApp()
      .routes.filter((r) => (r.method === "GET" || r.method === "POST") && !/^\/(admin|portal)(\/|$)/.test(r.path))
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)\{.*\}/, "{$1}")}`);
    const documented = operations().map(({ method, path }) => `${method} ${path}`);
    expect(documented.sort()).toEqual([...new Set(registered)].sort());
    expect(documented).toContain("GET /api.php");
    expect(documented).toContain("GET /qr/{file}");
  });

  it("every documented operation is answered (not 404/405), and other methods get 405", async () => {
    for (const { path, method, op } of operations()) {
      const res = await call(concrete(path), { method });
      // A 404 only where the route documents one (the QR image of an unknown user).
      if (!op.responses["404"]) expect(res.status, `${method} ${path}`).not.toBe(404);
      expect(res.status, `${method} ${path}`).not.toBe(405);
      const put = await call(concrete(path), { method: "PUT" });
      expect(put.status, `PUT ${path}`).toBe(405);
    }
    for (const path of ["/index.html", "/createuser/extra", "/API.PHP", "/qr/x.svg", "/qr/0.svg"]) {
      expect((await call(path)).status, path).toBe(404);
    }
  });

  it("documents every error code of src/errors.ts with its real text", () => {
    expect(doc.components.schemas.ErrorCode.enum).toEqual(Object.values(ErrorCode));
    for (const [name, entry] of Object.entries(ERROR_CATALOGUE)) {
      for (const example of entry.examples) expect(example.code, name).toBe(ErrorCode[name as keyof typeof ErrorCode]);
    }
  });

  it("the API key is documented in the three spellings the server accepts", () => {
    expect(
      Object.values(doc.components.securitySchemes)
        .map((s) => s.name)
        .sort(),
    ).toEqual(["X-API-Key", "api", "api_key"]);
    for (const { path, op } of operations()) {
      const route = ROUTES.find((r) => openApiPath(r) === path)!;
      expect(op.security !== undefined, path).toBe(route.apiKey);
    }
  });
});

/** The parameter names a handler reads while answering `requests` (every read goes through Params.get). */
async function namesRead(requests: string[]): Promise<Set<string>> {
  const read = new Set<string>();
  const original = Params.prototype.get;
  vi.spyOn(Params.prototype, "get").mockImplementation(function (this: Params, name: string) {
    read.add(name);
    return original.call(this, name);
  });
  for (const request of requests) await call(request);
  return read;
}

describe("documented parameters are the ones the handlers read", () => {
  const documented = (path: string) => {
    const op = doc.paths[path]!.get!;
    const keys = op.security ? ["api_key", "api"] : [];
    return new Set([...keys, ...op.parameters.filter((p) => p.in === "query").map((p) => p.name)]);
  };
  const query = (path: string, extra: Record<string, string> = {}) => {
    const route = ROUTES.find((r) => r.honoPath === path)!;
    return new URLSearchParams({ ...Object.fromEntries(route.params.map((p) => [p.name, p.example])), ...extra }).toString();
  };

  it("/createuser", async () => {
    const read = await namesRead([
      `/createuser?api_key=${key}&${query("/createuser", { email: uniqueEmail(), username: uniqueEmail() })}`,
      "/createuser?api=x",
    ]);
    expect(read).toEqual(documented("/createuser"));
  });

  it("/validate", async () => {
    const user = await enroll(call, key);
    const read = await namesRead([`/validate?api_key=${key}&${query("/validate", { userid: String(user.userId) })}`, "/validate?api=x"]);
    expect(read).toEqual(documented("/validate"));
  });

  it("/api.php, over its actions", async () => {
    const user = await enroll(call, key);
    const read = await namesRead([
      `/api.php?api_key=${key}&${query("/api.php")}`,
      `/api.php?api_key=${key}&action=changelocaluserpassword&user=${encodeURIComponent(user.email)}&localpassword=secret-enough`,
      `/api.php?api=x&action=deletelocaluser&user=nobody`,
    ]);
    expect(read).toEqual(documented("/api.php"));
  });
});

describe("documented answers are the real ones", () => {
  const json = async (path: string) => (await (await call(path)).json()) as Record<string, unknown>;

  it("createuser and validate: fields and their order, success and error", async () => {
    const user = await enroll(call, key);
    const names = (fields: readonly { name: string }[]) => fields.map((f) => f.name);
    expect(Object.keys(await json(`/createuser?api_key=${key}&email=${uniqueEmail()}&format=1`))).toEqual(names(CREATEUSER_ANSWER.success));
    expect(Object.keys(await json(`/createuser?api_key=wrong&format=1`))).toEqual(names(CREATEUSER_ANSWER.error));
    expect(Object.keys(await json(`/validate?api_key=${key}&userid=${user.userId}&token=000000&format=1`))).toEqual(
      names(VALIDATE_ANSWER.success),
    );
    expect(Object.keys(await json(`/validate?api_key=wrong&format=1`))).toEqual(names(VALIDATE_ANSWER.error));
  });

  it("each format's Content-Type is documented", async () => {
    for (const path of ["/createuser", "/validate"]) {
      const documented = Object.keys(doc.paths[path]!.get!.responses["200"]!.content!);
      for (const format of ["0", "1", "2", "3"]) {
        const res = await call(`${path}?api_key=wrong&format=${format}`);
        expect(documented, `${path} format ${format}`).toContain(res.headers.get("content-type"));
      }
    }
  });

  it("api.php: the texts it answers are among the documented ones", async () => {
    const user = await enroll(call, key);
    const documented = JSON.stringify(doc.paths["/api.php"]!.get!.responses["200"]);
    const answers = [
      await (
        await call(
          `/api.php?api_key=${key}&action=changelocaluserpassword&user=${encodeURIComponent(user.email)}&localpassword=secret-enough`,
        )
      ).text(),
      await (
        await call(`/api.php?api_key=${key}&action=changelocaluserpassword&user=${encodeURIComponent(user.email)}&localpassword=short`)
      ).text(),
      await (await call(`/api.php?api_key=${key}&action=deletelocaluser&user=${encodeURIComponent(user.email)}`)).text(),
      await (await call(`/api.php?api_key=${key}&action=deletelocaluser&user=${encodeURIComponent(user.email)}`)).text(),
      await (await call(`/api.php?api_key=${key}&action=nope`)).text(),
      await (await call(`/api.php?api_key=wrong&action=listusers`)).text(),
    ];
    const change = changeLocalUserPasswordAction.answers as Extract<ApiPhpAnswers, { format: "text" }>;
    const remove = deleteLocalUserAction.answers as Extract<ApiPhpAnswers, { format: "text" }>;
    expect(answers.slice(0, 5)).toEqual([
      change.success,
      apiPhpErrorBody(change.errors[3]!),
      remove.success,
      apiPhpErrorBody(remove.errors[2]!),
      apiPhpErrorBody(UNKNOWN_ACTION_ERRORS[0]!),
    ]);
    // Text answers appear as JSON strings in the document, the listusers error as a JSON object.
    for (const answer of answers) expect(documented, answer).toContain(answer.startsWith("{") ? answer : JSON.stringify(answer));
  });
});

describe("GET /docs", () => {
  it("renders every route and error code under a strict Content-Security-Policy", async () => {
    const res = await call("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await res.text();
    for (const path of Object.keys(doc.paths)) expect(html).toContain(`<code>${path}</code>`);
    for (const code of Object.values(ErrorCode)) expect(html).toContain(`<tr><td>${code}</td>`);
    expect(html).not.toMatch(/<script|\son\w+=|javascript:/i);

    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toMatch(/^default-src 'none';/);
    expect(csp).not.toContain("unsafe");
    // The only style allowed is the page's own, by hash.
    const style = /<style>([^<]*)<\/style>/.exec(html)![1]!;
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(style)));
    expect(csp).toContain(`style-src 'sha256-${btoa(String.fromCharCode(...digest))}'`);
  });
});
