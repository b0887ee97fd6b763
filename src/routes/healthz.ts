import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { pingDatabase } from "../db/health";

/**
 * Liveness with a real D1 round trip: one indexed read and nothing else. The benchmark uses it as
 * the ceiling the API routes are measured against, so it must stay this small.
 */
export async function healthz(c: Context<AppEnv>): Promise<Response> {
  let ok: boolean;
  try {
    ok = await pingDatabase(c.var.deps.db);
  } catch {
    ok = false;
  }
  return c.json({ status: ok ? "ok" : "unavailable", database: ok }, ok ? 200 : 503);
}
