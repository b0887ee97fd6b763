import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { readConfig } from "../config";
import { loadKeyring } from "../crypto/secret-box";
import { requestDatabases } from "../db/client";
import { RoundTrips } from "../db/timed-d1";
import { userCopies } from "../db/user-copies";
import { sendEvents } from "../events/dispatch";
import { webhookSettings } from "../events/settings";
import { clientAddressKey } from "../http/client-address";
import { serverTiming } from "../http/server-timing";

/**
 * Puts the domain's dependencies on the context (`c.var.deps`), built per request from the
 * bindings; after the handler, hands the events it queued to the queue, finishes the work that may
 * wait until the answer is sent, and reports the request's D1 round trips in Server-Timing.
 */
export function requestDeps(now: () => number): MiddlewareHandler<AppEnv> {
  return async function requestDeps(c, next) {
    const trips = new RoundTrips();
    const deferred: Promise<unknown>[] = [];
    c.set("deps", {
      ...requestDatabases(c.env.DB, trips),
      config: readConfig(c.env),
      keyring: () => loadKeyring(c.env.SECRET_ENCRYPTION_KEYS),
      now,
      // Every per-address limit counts by this key (an IPv6 client by its /64).
      client: { address: clientAddressKey(c.req.header("cf-connecting-ip")) },
      refusalLimiter: c.env.KEY_REFUSALS,
      copies: userCopies(new URL(c.req.url).hostname, trips, (work) => deferred.push(work)),
      loginLimiter: c.env.LOGIN_ATTEMPTS,
      events: [],
      webhooks: webhookSettings(c.env),
      defer: (work) => deferred.push(work),
    });
    await next();
    const events = c.var.deps.events;
    if (events.length > 0) deferred.push(sendEvents(c.env.EVENTS, events));
    if (deferred.length > 0) await afterAnswer(c, Promise.allSettled(deferred));
    // Set after the handler (and onError) ran: a streamed list's later pages come after it.
    c.res.headers.set("Server-Timing", serverTiming(trips));
  };
}

/**
 * Work that may wait until the answer is sent (storing a copy): the Worker keeps it alive with
 * waitUntil. Called without an execution context (app.fetch in tests), the app finishes it before
 * answering, so what a test sees next does not depend on timing.
 */
async function afterAnswer(c: Context<AppEnv>, work: Promise<unknown>): Promise<void> {
  let ctx: ExecutionContext | undefined;
  try {
    ctx = c.executionCtx;
  } catch {
    // Hono throws when the app was called without one.
  }
  if (ctx) ctx.waitUntil(work);
  else await work;
}
