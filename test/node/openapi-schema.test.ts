import { Validator, type SpecData } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalServer, type LocalServer } from "../../scripts/lib/local-server";

// The validator reads its JSON schemas from disk and compiles them with ajv (code generation),
// neither of which workerd allows: so this check runs in Node against a real `wrangler dev`.
let server: LocalServer;
beforeAll(async () => {
  server = await startLocalServer();
}, 120_000);
afterAll(() => server?.stop());

describe("/openapi.json served by wrangler dev", () => {
  it("validates against the OpenAPI 3.1 schema", async () => {
    const res = await fetch(`${server.url}/openapi.json`);
    expect(res.status).toBe(200);
    const document = (await res.json()) as SpecData;
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("the validator does reject a broken document (the check above can fail)", async () => {
    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses: unknown }>>;
    };
    document.paths["/createuser"]!.get!.responses = "none";
    expect((await new Validator().validate(document as SpecData)).valid).toBe(false);
  });

  it("/docs is served, and the worker logs each request as one JSON line", async () => {
    const res = await fetch(`${server.url}/docs?api_key=not-in-the-log`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toMatch(/^default-src 'none'/);
    // wrangler dev prints the Worker's console; give its pipe a moment to flush the line.
    for (let i = 0; i < 40 && !server.output().includes('"route":"/docs"'); i++) await new Promise((r) => setTimeout(r, 50));
    const lines = server
      .output()
      .split("\n")
      .filter((line) => line.includes('"event":"request"'));
    expect(
      lines.some((line) =>
        /^\{"level":"info","event":"request","method":"GET","route":"\/docs","status":200,"ms":\d+\}$/.test(line.trim()),
      ),
    ).toBe(true);
    expect(server.output()).not.toContain("not-in-the-log");
  });
});
