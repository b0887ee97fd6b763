import { env } from "cloudflare:workers";
import * as OTPAuth from "otpauth";
import { generateApiKey, hashApiKey } from "../src/crypto/api-keys";
import { createApp, type AppOptions } from "../src/index";

/** A clock the test moves by hand (Unix ms). */
export class TestClock {
  constructor(public ms = Date.UTC(2026, 0, 1, 12, 0, 0)) {}
  now = () => this.ms;
  advance(seconds: number) {
    this.ms += seconds * 1000;
  }
}

/** The real app over the real (local) D1 binding, with an injectable clock. */
export function testApp(options: AppOptions = {}) {
  const app = createApp(options);
  return async (path: string, init?: RequestInit): Promise<Response> => app.fetch(new Request(`https://totp.test${path}`, init), env);
}

/** Inserts a fresh API key straight into D1 (as the CLI does) and returns the key. */
export async function newApiKey(label = "test"): Promise<string> {
  const key = generateApiKey();
  await env.DB.prepare("INSERT INTO api_keys (label, key_hash) VALUES (?, ?)")
    .bind(label, await hashApiKey(key))
    .run();
  return key;
}

/** A token computed by an independent implementation (otpauth), so our TOTP bugs are not shared. */
export function tokenFor(secretBase32: string, nowMs: number, stepOffset = 0): string {
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secretBase32), digits: 6, period: 30 });
  return totp.generate({ timestamp: nowMs + stepOffset * 30_000 });
}

let userCounter = 0;
export function uniqueEmail(prefix = "user"): string {
  return `${prefix}-${Date.now()}-${++userCounter}@example.com`;
}

/** Creates a user through the API (format 1) and returns its id and secret. */
export async function enroll(call: ReturnType<typeof testApp>, apiKey: string, email = uniqueEmail()) {
  const res = await call(`/createuser?api_key=${encodeURIComponent(apiKey)}&email=${encodeURIComponent(email)}&format=1`);
  const body = (await res.json()) as { userid: number; hash: string; hashqr: string; success: string };
  if (body.success !== "true") throw new Error(`enroll failed: ${JSON.stringify(body)}`);
  return { userId: body.userid, secret: body.hash, hashqr: body.hashqr, email };
}
