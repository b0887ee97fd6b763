import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createApp } from "../src/index";
import { QR_ROUTE } from "../src/routes/qr";
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
  it("writes one JSON line per request with method, route, status, latency and outcome", async () => {
    const call = loggingApp();
    const { requests } = await captureLogs(async () => {
      await call(`/createuser?api_key=${key}&email=${uniqueEmail()}&format=1`);
      await call("/validate", { method: "POST", body: new URLSearchParams({ api_key: key, userid: "1" }) });
      await call("/healthz");
      await call("/createuser", { method: "DELETE" });
      await call("/no/such/path");
      // Percent-encoded paths are served by their route, and logged as it.
      await call(`/%76alidate?api_key=${key}&userid=1&send=1`);
    });
    const keyId = await env.DB.prepare("SELECT max(id) AS id FROM api_keys").first<number>("id");
    expect(requests.map(({ method, route, status, outcome, apiKeyId }) => [method, route, status, outcome, apiKeyId])).toEqual([
      ["GET", "/createuser", 200, "created", keyId],
      ["POST", "/validate", 200, "bad_input", keyId],
      ["GET", "/healthz", 200, undefined, undefined],
      ["DELETE", "/createuser", 405, undefined, undefined],
      ["GET", "(unmatched)", 404, undefined, undefined],
      ["GET", "/validate", 200, "code_requested", keyId],
    ]);
    for (const line of requests) {
      const optional = ["outcome", "apiKeyId"].filter((name) => line[name] !== undefined);
      expect(Object.keys(line)).toEqual(["level", "event", "method", "route", "status", "ms", ...optional]);
      expect(line).toMatchObject({ level: "info", event: "request" });
      expect(Number.isInteger(line.ms) && (line.ms as number) >= 0).toBe(true);
    }
  });

  it("names each API outcome, so that guessing and lockouts show in the log", async () => {
    const clock = new TestClock();
    const call = loggingApp({ now: clock.now });
    const user = await enroll(call, key);
    const token = tokenFor(user.secret, clock.ms);
    const wrong = tokenFor(user.secret, clock.ms, 5);
    const { requests } = await captureLogs(async () => {
      await call(`/validate?api_key=${key}&userid=${user.userId}&token=${token}`);
      await call(`/validate?api_key=${key}&userid=${user.userId}&token=${token}`);
      for (let i = 0; i < 6; i++) await call(`/validate?api_key=${key}&userid=${user.userId}&token=${wrong}`);
      await call(`/validate?api_key=${key}x&userid=${user.userId}&token=${token}`);
      await call(`/validate?api_key=${key}&userid=999999999&token=${token}`);
      await call(`/createuser?api_key=${key}&email=${encodeURIComponent(user.email)}`);
      await call(`/api.php?api_key=${key}&action=deletelocaluser&user=nobody-${Date.now()}`);
      await call(`/api.php?api_key=${key}&action=deletelocaluser&user=${encodeURIComponent(user.email)}`);
    });
    expect(requests.map((line) => line.outcome)).toEqual([
      "valid",
      "replay",
      ...Array(5).fill("invalid"),
      "locked",
      "bad_key",
      "unknown_user",
      "user_exists",
      "unknown_user",
      "done",
    ]);
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
    expect(requests).toEqual([expect.objectContaining({ method: "GET", route: "/healthz", status: 500 })]);
  });

  it("never logs query strings, API keys, secrets, tokens or passwords", async () => {
    const clock = new TestClock();
    const call = loggingApp({ now: clock.now });
    const secrets: string[] = [key];
    const { all, requests } = await captureLogs(async () => {
      const user = await enroll(call, key);
      const token = tokenFor(user.secret, clock.ms);
      secrets.push(user.secret, token, "hunter2-password");
      await call(`/validate?api_key=${key}&userid=${user.userId}&token=${token}`);
      await call(`/validate?userid=${user.userId}&token=${token}`, { headers: { "X-API-Key": key } });
      await call(new URL(user.hashqr).pathname + new URL(user.hashqr).search);
      await call("/api.php", {
        method: "POST",
        body: new URLSearchParams({ api: key, action: "changelocaluserpassword", user: user.email, localpassword: "hunter2-password" }),
      });
      // A client that puts its key into the path gets a 404, and the path is not logged.
      await call(`/validate/${key}`);
      await call(`/qr/${user.userId}.svg/${user.secret}`);
    });
    expect(requests.map((line) => [line.route, line.status])).toEqual([
      ["/createuser", 200],
      ["/validate", 200],
      ["/validate", 200],
      [QR_ROUTE, 200],
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
