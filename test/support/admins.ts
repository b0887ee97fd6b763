// A console admin from invitation to login, over HTTP through the real app and D1: for the tests
// of the console's login (test/admin-auth.test.ts) and of its limits (test/security/logins*.test.ts).
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { tokenHash } from "../../src/domain/sessions";
import { TestClock, testApp, tokenFor } from "../helpers";
import { TEST_ORIGIN } from "./pages";

export const PASSWORD = "correct horse battery";
let admins = 0;

type Call = ReturnType<typeof testApp>;

/** An admin as `npm run admin -- create` leaves it: a name and an open enrolment link. */
export async function invitedAdmin(clock: TestClock) {
  const name = `ops${++admins}-${Date.now().toString(36)}`;
  const token = `link-${crypto.randomUUID()}`;
  await env.DB.prepare("INSERT INTO admins (name, enrol_token_hash, enrol_expires_at) VALUES (?, ?, ?)")
    .bind(name, await tokenHash(token), clock.ms + 3_600_000)
    .run();
  return { name, token };
}

/** A same-site form post; `headers` adds to (or replaces) the browser's. */
export function post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return [
    path,
    {
      method: "POST",
      headers: { Origin: TEST_ORIGIN, "Content-Type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(fields).toString(),
    },
  ] as const;
}

export const hidden = (html: string, name: string) => html.match(new RegExp(`name="${name}" value="([^"]*)"`))?.[1] ?? "";
export const shownSecret = (html: string) => html.match(/id="secret">([^<]*)</)![1]!.replace(/\s/g, "");
export const adminRow = (name: string) => env.DB.prepare("SELECT * FROM admins WHERE name = ?").bind(name).first<Record<string, unknown>>();

/** Follows the link and enrols with the page's secret; returns the secret. */
export async function enrol(call: Call, clock: TestClock, token: string): Promise<string> {
  const page = await (await call(`/admin/enrol/${token}`)).text();
  const secret = shownSecret(page);
  const res = await call(
    ...post(`/admin/enrol/${token}`, {
      offer: hidden(page, "offer"),
      password: PASSWORD,
      "password-again": PASSWORD,
      code: tokenFor(secret, clock.ms),
    }),
  );
  expect([res.status, res.headers.get("location")]).toEqual([303, "/admin/login?done=enrolled"]);
  return secret;
}

/** A login post, from `address` (CF-Connecting-IP) when given. */
export function login(call: Call, name: string, password: string, code: string, address?: string) {
  return call(...post("/admin/login", { name, password, code }, address ? { "CF-Connecting-IP": address } : {}));
}

/** An admin who followed their link, with the app and clock they enrolled on. */
export async function enrolledAdmin(call?: (clock: TestClock) => Call) {
  const clock = new TestClock();
  const app = call ? call(clock) : testApp({ now: clock.now });
  const { name, token } = await invitedAdmin(clock);
  return { clock, call: app, name, secret: await enrol(app, clock, token) };
}
