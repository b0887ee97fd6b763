import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createApp } from "../src/index";
import { enroll, newApiKey, TestClock, tokenFor, uniqueEmail } from "./helpers";

/** The app with the request log on (vitest.config.ts turns it off for the other tests). */
function loggingApp(options: Parameters<typeof createApp>[0] = {}) {
  const app = createApp(options);
  const logging = { ...env, REQUEST_LOG: "on" };
  return async (path: string, init?: RequestInit): Promise<Response> => app.fetch(new Request(`https://totp.test${path}`, init), logging);
}

let key: string;
beforeAll(async () => {
  key = await newApiKey();
});
afterEach(() => vi.restoreAllMocks());

/** Runs `scenario` and returns every console line it caused, split into request lines and the rest. */
async function captureLogs(scenario: () => Promise<void>) {
  const lines: string[] = [];
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
  }
  await scenario();
  const requests = lines.filter((line) => line.includes('"event":"request"')).map((line) => JSON.parse(line) as Record<string, unknown>);
  return { all: lines.join("\n"), requests };
}

describe("request log", () => {
  it("writes one JSON line per request with method, path, status and latency", async () => {
    const call = loggingApp();
    const { requests } = await captureLogs(async () => {
      await call(`/createuser?api_key=${key}&email=${uniqueEmail()}&format=1`);
      await call("/validate", { method: "POST", body: new URLSearchParams({ api_key: key, userid: "1" }) });
      await call("/healthz");
      await call("/createuser", { method: "DELETE" });
      await call("/no/such/path");
    });
    const keyId = await env.DB.prepare("SELECT max(id) AS id FROM api_keys").first<number>("id");
    expect(requests.map(({ method, path, status, apiKeyId }) => [method, path, status, apiKeyId])).toEqual([
      ["GET", "/createuser", 200, keyId],
      ["POST", "/validate", 200, keyId],
      ["GET", "/healthz", 200, undefined],
      ["DELETE", "/createuser", 405, undefined],
      ["GET", "(unmatched)", 404, undefined],
    ]);
    for (const line of requests) {
      const fields = ["level", "event", "method", "path", "status", "ms", ...(line.apiKeyId === undefined ? [] : ["apiKeyId"])];
      expect(Object.keys(line)).toEqual(fields);
      expect(line).toMatchObject({ level: "info", event: "request" });
      expect(Number.isInteger(line.ms) && (line.ms as number) >= 0).toBe(true);
    }
  });

  it("is off with REQUEST_LOG=off", async () => {
    const { requests } = await captureLogs(async () => {
      await createApp().fetch(new Request("https://totp.test/healthz"), { ...env, REQUEST_LOG: "off" });
    });
    expect(requests).toEqual([]);
  });

  it("logs the 500 of a misconfigured Worker too", async () => {
    const { requests } = await captureLogs(async () => {
      await createApp().fetch(new Request("https://totp.test/healthz"), { ...env, REQUEST_LOG: "off", LOCKOUT_THRESHOLD: "many" });
    });
    expect(requests).toEqual([expect.objectContaining({ method: "GET", path: "/healthz", status: 500 })]);
  });

  it("never logs query strings, API keys, secrets, tokens or passwords", async () => {
    const clock = new TestClock();
    const call = loggingApp({ now: clock.now });
    const secrets: string[] = [key];
    let qrPath = "";
    const { all, requests } = await captureLogs(async () => {
      const user = await enroll(call, key);
      const token = tokenFor(user.secret, clock.ms);
      secrets.push(user.secret, token, "hunter2-password");
      await call(`/validate?api_key=${key}&userid=${user.userId}&token=${token}`);
      await call(`/validate?userid=${user.userId}&token=${token}`, { headers: { "X-API-Key": key } });
      qrPath = new URL(user.hashqr).pathname;
      await call(qrPath + new URL(user.hashqr).search);
      await call("/api.php", { method: "POST", body: new URLSearchParams({ api: key, action: "changelocaluserpassword", user: user.email, localpassword: "hunter2-password" }) });
      // A client that puts its key into the path gets a 404, and the path is not logged.
      await call(`/validate/${key}`);
      await call(`/qr/${user.userId}.svg/${user.secret}`);
    });
    expect(requests.map((line) => [line.path, line.status])).toEqual([
      ["/createuser", 200],
      ["/validate", 200],
      ["/validate", 200],
      [qrPath, 200],
      ["/api.php", 200],
      ["(unmatched)", 404],
      ["(unmatched)", 404],
    ]);
    expect(all).not.toContain("?");
    for (const secret of secrets) {
      expect(all).not.toContain(secret);
      expect(all.toLowerCase()).not.toContain(secret.toLowerCase());
    }
  });
});
