// Floods of login posts (console and portal): the LOGIN_ATTEMPTS rate limit answers 429 before any
// password hash or D1 write, and refused logins under unknown names cost one audit row per client
// and hour, not one each (SECURITY.md, "Logins II").
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/index";
import { LOGIN_FLOODED } from "../../src/routes/admin/auth";
import { PORTAL_TEXT } from "../../src/routes/portal/messages";
import { countingD1 } from "../counting-d1";
import { TestClock } from "../helpers";
import { post } from "../support/admins";
import { TEST_ORIGIN } from "../support/pages";

/** An address of this run only: the rate limiter's buckets outlive a test file. */
const address = () => `203.0.113.${1 + Math.floor(Math.random() * 250)}-${crypto.randomUUID().slice(0, 8)}`;

function floodedApp(clock = new TestClock()) {
  const app = createApp({ now: clock.now });
  const counted = countingD1({ ...env, PBKDF2_ITERATIONS: "10000" });
  const call = (path: string, init?: RequestInit) => app.fetch(new Request(`${TEST_ORIGIN}${path}`, init), counted.env);
  return { call, roundTrips: counted.roundTrips, clock };
}

const adminLogin = (from: string) =>
  post(
    "/admin/login",
    { name: `nobody-${crypto.randomUUID().slice(0, 8)}`, password: "a guess", code: "123456" },
    { "CF-Connecting-IP": from },
  );
const portalLogin = (from: string) =>
  post("/portal/login", { username: `nobody-${crypto.randomUUID()}@example.com`, password: "a guess" }, { "CF-Connecting-IP": from });
const portalRecovery = (from: string) =>
  post(
    "/portal/recover",
    { username: `nobody-${crypto.randomUUID()}@example.com`, password: "a guess", code: "ABCDEF-GHJKMN" },
    { "CF-Connecting-IP": from },
  );

afterEach(() => {
  vi.restoreAllMocks();
});

describe("login floods", () => {
  for (const [realm, request, refusedStatus, text] of [
    ["console", adminLogin, 401, LOGIN_FLOODED],
    ["portal", portalLogin, 400, PORTAL_TEXT.loginFlooded],
    ["portal recovery", portalRecovery, 400, PORTAL_TEXT.loginFlooded],
  ] as const) {
    it(`${realm}: past 30 posts a minute an address gets 429 with Retry-After, with no PBKDF2 and no D1 round trip; other addresses are untouched`, async () => {
      const { call, roundTrips } = floodedApp();
      const flooder = address();
      let answered = 0;
      let limited: Response | undefined;
      // 30 per 60 s window: a window may end mid-run, hence up to two windows' worth.
      while (!limited && answered < 61) {
        const res = await call(...request(flooder));
        if (res.status === 429) limited = res;
        else {
          expect(res.status).toBe(refusedStatus);
          answered++;
        }
      }
      expect(limited, `429 after ${answered} posts`).toBeDefined();
      expect(limited!.headers.get("retry-after")).toBe("60");
      expect(await limited!.text()).toContain(text.replaceAll("'", "&#39;"));
      const deriveBits = vi.spyOn(crypto.subtle, "deriveBits");
      const before = roundTrips();
      for (let i = 0; i < 30; i++) expect((await call(...request(flooder))).status).toBe(429);
      expect([roundTrips() - before, deriveBits.mock.calls.length]).toEqual([0, 0]);
      expect((await call(...request(address()))).status).toBe(refusedStatus);
    });
  }

  it("refused console logins under unknown names: one audit row per client and hour, with a count", async () => {
    const { call, clock } = floodedApp();
    const [first, second] = [address(), address()];
    for (let i = 0; i < 12; i++) expect((await call(...adminLogin(first))).status).toBe(401);
    for (let i = 0; i < 3; i++) expect((await call(...adminLogin(second))).status).toBe(401);
    clock.advance(3600);
    expect((await call(...adminLogin(first))).status).toBe(401);
    const rows = await env.DB.prepare("SELECT actor, action, target, outcome, count FROM audit_log WHERE target IN (?, ?) ORDER BY id")
      .bind(`from ${first}`, `from ${second}`)
      .all();
    expect(rows.results).toEqual([
      { actor: "-", action: "login", target: `from ${first}`, outcome: "refused", count: 12 },
      { actor: "-", action: "login", target: `from ${second}`, outcome: "refused", count: 3 },
      { actor: "-", action: "login", target: `from ${first}`, outcome: "refused", count: 1 },
    ]);
  });
});
