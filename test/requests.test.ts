import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { enroll, newApiKey, testApp, TestClock, tokenFor, uniqueEmail } from "./helpers";

let key: string;
beforeAll(async () => {
  key = await newApiKey();
});

const json = async (res: Response) => (await res.json()) as Record<string, unknown>;

describe("API keys", () => {
  it("refuses a missing, a wrong and a revoked key with code 1", async () => {
    const call = testApp();
    const revoked = await newApiKey("to-revoke");
    const email = encodeURIComponent(uniqueEmail());
    expect((await json(await call(`/createuser?api_key=${revoked}&email=${email}&format=1`))).success).toBe("true");
    await env.DB.prepare("UPDATE api_keys SET revoked_at = unixepoch() WHERE label = 'to-revoke'").run();
    for (const query of ["", "api_key=", `api_key=${key}x`, `api_key=${revoked}`]) {
      const res = await call(`/createuser?${query}&email=${encodeURIComponent(uniqueEmail())}&format=1`);
      expect(await json(res)).toEqual({ response: "invalid api key", success: "false", error: "invalid api key", code: 1 });
      const v = await call(`/validate?${query}&userid=1&token=123456&format=1`);
      expect(await json(v)).toEqual({ response: "invalid api key", userid: 1, validation: "false", error: "invalid api key", code: 1 });
    }
  });

  it("a wrong key outranks bad parameters, a bad format included (answered in format 0)", async () => {
    const res = await testApp()(`/validate?api_key=nope&userid=x&format=1`);
    expect((await json(res)).code).toBe(1);
    for (const path of ["/createuser?api_key=nope&email=a@example.com&format=9", "/validate?userid=1&token=123456&format=json"]) {
      expect(await (await testApp()(path)).text(), path).toMatch(/^a:\d+:\{s:8:"response";s:15:"invalid api key";/);
    }
    // An oversized key is a wrong key: it outranks the rest too, and is no 500.
    const huge = await testApp()(`/createuser?api_key=${"k".repeat(1100)}&email=x&format=1`);
    expect([huge.status, (await json(huge)).code]).toEqual([200, 1]);
    // With a valid key the bad format is what the caller hears.
    expect(await (await testApp()(`/validate?api_key=${key}&userid=1&token=123456&format=9`)).text()).toContain('"invalid format"');
  });

  it("refuses everything when no key exists at all", async () => {
    // Runs against a scratch table state: revoke all keys, check, then restore. A key of its own,
    // because the isolate now remembers it as refused (src/domain/key-guard.ts) for a while.
    const own = await newApiKey("all-revoked");
    const active = await env.DB.prepare("SELECT id FROM api_keys WHERE revoked_at IS NULL").all<{ id: number }>();
    await env.DB.prepare("UPDATE api_keys SET revoked_at = 1 WHERE revoked_at IS NULL").run();
    try {
      const res = await testApp()(`/createuser?api_key=${own}&email=${encodeURIComponent(uniqueEmail())}&format=1`);
      expect((await json(res)).code).toBe(1);
    } finally {
      for (const { id } of active.results) await env.DB.prepare("UPDATE api_keys SET revoked_at = NULL WHERE id = ?").bind(id).run();
    }
  });

  it("accepts the `api` alias and the X-API-Key header", async () => {
    const call = testApp();
    expect((await json(await call(`/createuser?api=${key}&email=${encodeURIComponent(uniqueEmail())}&format=1`))).success).toBe("true");
    const res = await call(`/createuser?email=${encodeURIComponent(uniqueEmail())}&format=1`, { headers: { "X-API-Key": key } });
    expect((await json(res)).success).toBe("true");
  });
});

describe("POST", () => {
  it("takes parameters from the query string with an empty body (the WordPress plugin)", async () => {
    const clock = new TestClock();
    const call = testApp({ now: clock.now });
    const user = await enroll(call, key);
    const res = await call(`/validate?api=${key}&userid=${user.userId}&token=${tokenFor(user.secret, clock.ms)}&send=0&format=1`, {
      method: "POST",
    });
    expect(await json(res)).toEqual({ response: "OTP is valid", userid: user.userId, validation: "true" });
  });

  it("takes parameters from an urlencoded form body", async () => {
    const clock = new TestClock();
    const call = testApp({ now: clock.now });
    const email = uniqueEmail();
    const created = await json(
      await call("/createuser", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ api_key: key, email, format: "1" }),
      }),
    );
    expect(created.success).toBe("true");
    const res = await call("/validate?format=1", {
      method: "POST",
      body: new URLSearchParams({ api_key: key, userid: String(created.userid), token: tokenFor(String(created.hash), clock.ms) }),
    });
    expect(await json(res)).toEqual({ response: "OTP is valid", userid: created.userid, validation: "true" });
  });
});

describe("request bodies", () => {
  const clock = new TestClock();
  const call = testApp({ now: clock.now });

  it("reads multipart/form-data, as PHP's curl sends an array", async () => {
    const form = new FormData();
    for (const [name, value] of Object.entries({ api_key: key, email: uniqueEmail("multipart"), format: "1" })) form.append(name, value);
    const created = await json(await call("/createuser", { method: "POST", body: form }));
    expect(created.success).toBe("true");
    const check = new FormData();
    for (const [name, value] of Object.entries({
      api: key,
      userid: String(created.userid),
      token: tokenFor(String(created.hash), clock.ms),
    }))
      check.append(name, value);
    expect(await json(await call("/validate?format=1", { method: "POST", body: check }))).toEqual({
      response: "OTP is valid",
      userid: created.userid,
      validation: "true",
    });
  });

  it("reads a JSON object of strings and numbers", async () => {
    const headers = { "Content-Type": "application/json" };
    const created = await json(
      await call("/createuser", { method: "POST", headers, body: JSON.stringify({ api_key: key, email: uniqueEmail("json"), format: 1 }) }),
    );
    expect(created.success).toBe("true");
    const token = tokenFor(String(created.hash), clock.ms);
    const body = JSON.stringify({ api_key: key, userid: created.userid, token, format: "1" });
    expect(
      await json(await call("/validate", { method: "POST", headers: { "Content-Type": "application/json; charset=utf-8" }, body })),
    ).toEqual({
      response: "OTP is valid",
      userid: created.userid,
      validation: "true",
    });
  });

  it("lets the body win over the query string for a name in both", async () => {
    const res = await call(`/createuser?api_key=wrong&format=3`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ api_key: key, email: uniqueEmail() }),
    });
    expect(await res.text()).toBe("true");
  });

  it("refuses a value that is neither string nor number, and a file part, as an invalid parameter", async () => {
    for (const email of [true, null, ["a@example.com"], { a: 1 }]) {
      const res = await call("/createuser", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ api_key: key, email, format: 1 }),
      });
      expect(await json(res), JSON.stringify(email)).toMatchObject({ code: 3, error: "invalid parameter: email" });
    }
    const form = new FormData();
    form.append("api_key", key);
    form.append("format", "1");
    form.append("email", new File(["a@example.com"], "email.txt"));
    expect(await json(await call("/createuser", { method: "POST", body: form }))).toMatchObject({
      code: 3,
      error: "invalid parameter: email",
    });
    // An unknown parameter stays ignored whatever its shape.
    const ignored = await call("/createuser", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ api_key: key, email: uniqueEmail(), extra: { deep: [1] }, format: 3 }),
    });
    expect(await ignored.text()).toBe("true");
  });

  it("answers 415 for another non-empty body type and 400 for a body that is not a JSON object or multipart", async () => {
    const before = await env.DB.prepare("SELECT count(*) AS n FROM users").first("n");
    for (const type of ["text/plain", "application/xml", "application/octet-stream", ""]) {
      const res = await call(`/createuser?api_key=${key}&email=${encodeURIComponent(uniqueEmail())}`, {
        method: "POST",
        headers: type ? { "Content-Type": type } : {},
        body: new Blob(["x=1"], { type }),
      });
      expect([res.status, res.headers.get("content-type")], type).toEqual([415, "text/plain; charset=utf-8"]);
    }
    for (const body of ["[1,2]", '"text"', "{not json", "null"]) {
      const res = await call(`/createuser?api_key=${key}&email=${encodeURIComponent(uniqueEmail())}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body,
      });
      expect(res.status, body).toBe(400);
    }
    const broken = await call(`/createuser?api_key=${key}&email=${encodeURIComponent(uniqueEmail())}`, {
      method: "POST",
      headers: { "Content-Type": "multipart/form-data; boundary=xyz" },
      body: "garbage",
    });
    expect(broken.status).toBe(400);
    // An empty body of any type is no body: the WordPress plugin's POSTs.
    const empty = await call(`/createuser?api_key=${key}&email=${encodeURIComponent(uniqueEmail())}&format=3`, {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: "",
    });
    expect(await empty.text()).toBe("true");
    expect(await env.DB.prepare("SELECT count(*) AS n FROM users").first("n")).toBe((before as number) + 1);
  });

  it("keeps the size limits: 413 over 8 KiB, code 3 for a value over 1 KiB, in JSON and multipart alike", async () => {
    const big = JSON.stringify({ api_key: key, pad: "x".repeat(8 * 1024) });
    expect((await call("/createuser", { method: "POST", headers: { "Content-Type": "application/json" }, body: big })).status).toBe(413);
    const form = new FormData();
    form.append("pad", "x".repeat(8 * 1024));
    expect((await call("/createuser", { method: "POST", body: form })).status).toBe(413);
    const long = JSON.stringify({ api_key: key, email: `${"a".repeat(1020)}@example.com`, format: 1 });
    expect(
      await json(await call("/createuser", { method: "POST", headers: { "Content-Type": "application/json" }, body: long })),
    ).toMatchObject({ code: 3, error: "invalid parameter: email" });
  });
});

describe("transport errors", () => {
  const call = testApp();

  it("404 for an unknown path, with nosniff and no-store", async () => {
    const res = await call("/createusers");
    expect([res.status, await res.text()]).toEqual([404, "Not Found"]);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("tolerates a trailing slash and repeated slashes (the WordPress plugin with an API host ending in /)", async () => {
    for (const path of ["/validate/", "//validate", "//validate//"]) {
      const res = await call(`${path}?api_key=${key}&format=1`);
      expect((await json(res)).code, path).toBe(2);
    }
    expect((await call("//createusers")).status).toBe(404);
  });

  it.each(["PUT", "DELETE", "PATCH", "HEAD"])("405 for %s, with Allow", async (method) => {
    const res = await call("/createuser", { method });
    expect([res.status, res.headers.get("allow")]).toEqual([405, "GET, POST"]);
  });

  it("HEAD changes nothing: no user enrolled, no code spent", async () => {
    const clock = new TestClock();
    const timed = testApp({ now: clock.now });
    const email = uniqueEmail("head");
    expect((await timed(`/createuser?api_key=${key}&email=${encodeURIComponent(email)}&format=1`, { method: "HEAD" })).status).toBe(405);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM users WHERE username_key = ?").bind(email).first("n")).toBe(0);
    const user = await enroll(timed, key);
    const token = tokenFor(user.secret, clock.ms);
    for (const path of [
      `/validate?api_key=${key}&userid=${user.userId}&token=${token}`,
      `/api.php?action=deletelocaluser&user=${user.email}&api_key=${key}`,
    ]) {
      expect((await timed(path, { method: "HEAD" })).status).toBe(405);
    }
    const res = await timed(`/validate?api_key=${key}&userid=${user.userId}&token=${token}&format=1`);
    expect((await json(res)).validation).toBe("true");
    // Read-only routes still answer HEAD.
    expect((await timed("/healthz", { method: "HEAD" })).status).toBe(200);
  });

  it("413 for a query string over 8 KiB and for a body over 8 KiB", async () => {
    const big = "x".repeat(8 * 1024 + 1);
    expect((await call(`/createuser?pad=${big}`)).status).toBe(413);
    const res = await call("/createuser", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: `pad=${big}`,
    });
    expect([res.status, await res.text()]).toEqual([413, "Payload Too Large"]);
  });

  it("answers every API response with nosniff and no-store", async () => {
    const res = await call(`/createuser?api_key=${key}&format=1`);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });
});
