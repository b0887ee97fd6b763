import { type Context, Hono } from "hono";
import { getPath } from "hono/utils/url";
import type { AppEnv } from "./app-env";
import { ConfigError, type Env, readConfig } from "./config";
import { KeyringError, loadKeyring } from "./crypto/secret-box";
import { getDb, requestDatabases } from "./db/client";
import { RoundTrips } from "./db/timed-d1";
import { userCopies } from "./db/user-copies";
import { pruneExpired } from "./domain/retention";
import { HttpError } from "./errors";
import { clientAddressKey } from "./http/client-address";
import { handleEventBatch } from "./events/deliver";
import { sendEvents, sweepOutbox } from "./events/dispatch";
import { type EventMessage, webhookSettings } from "./events/settings";
import { requestLog } from "./http/request-log";
import { serverTiming } from "./http/server-timing";
import { refuseCrossSite } from "./web/forms";
import { textResponse } from "./http/respond";
import { allowHeader, answersHead } from "./openapi/spec";
import { ROUTES } from "./routes";
import { adminPages } from "./routes/admin";
import { portalPages } from "./routes/portal";

export interface AppOptions {
  /** The clock in Unix milliseconds; tests inject one to cross lock expiries without sleeping. */
  now?: () => number;
}

/**
 * The path routes are matched on: repeated slashes collapsed (the WordPress plugin calls
 * `//validate` when its API host setting ends with a slash) and a trailing slash tolerated
 * (what Hono's `strict: false` does, which cannot be combined with a getPath of our own).
 */
function routingPath(request: Request): string {
  const path = getPath(request).replace(/\/{2,}/g, "/");
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
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

/** Builds the app; the Worker and the tests both use this. */
export function createApp(options: AppOptions = {}): Hono<AppEnv> {
  const now = options.now ?? Date.now;
  const app = new Hono<AppEnv>({ getPath: routingPath });

  app.use(requestLog());
  app.use(async (c, next) => {
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
    c.res.headers.set("X-Content-Type-Options", "nosniff");
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
  });

  // The route list is also what /openapi.json and /docs describe: a route exists in both or in neither.
  for (const route of ROUTES) {
    const handler = route.handler;
    const notAllowed = () => HttpError.methodNotAllowed(allowHeader(route));
    app.on(
      [...route.methods],
      route.honoPath,
      answersHead(route)
        ? handler
        : (c) => {
            if (c.req.method === "HEAD") throw notAllowed();
            return handler(c);
          },
    );
    app.all(route.honoPath, () => {
      throw notAllowed();
    });
  }

  // The console's and the portal's pages are not part of the API: /openapi.json and /docs do not list them.
  for (const pages of ["/admin", "/portal"]) app.use(pages, refuseCrossSite).use(`${pages}/*`, refuseCrossSite);
  app.route("/admin", adminPages);
  app.route("/portal", portalPages);

  app.notFound(() => textResponse(HttpError.NOT_FOUND, 404));
  app.onError((error) => {
    if (error instanceof HttpError) return textResponse(error.text, error.status, error.headers);
    logFailure(error, "unhandled");
    return textResponse(HttpError.SERVER_ERROR, 500);
  });
  return app;
}

/**
 * Configuration errors name the bad setting and are safe to log; other messages (crypto, SQL)
 * could quote inputs, so only their kind is logged.
 */
function logFailure(error: Error, event: string): void {
  const misconfigured = error instanceof ConfigError || error instanceof KeyringError;
  console.error(
    JSON.stringify({
      level: "error",
      event: misconfigured ? "misconfigured" : event,
      kind: error.name,
      ...(misconfigured && { message: error.message }),
    }),
  );
}

/** The cron of wrangler.toml's `[triggers]` that runs retention (hourly); every other one only sweeps. */
const RETENTION_CRON = "17 * * * *";

/**
 * The Cron Triggers (wrangler.toml `[triggers]`): every run sweeps the events outbox (events a
 * crashed isolate left behind go to the queue, src/events/dispatch.ts); the hourly one also prunes
 * expired sessions, expired enrolment links and old audit rows, bounded per run
 * (src/domain/retention.ts). A failure is logged and rethrown, so the run shows as failed in
 * Cloudflare's cron events.
 */
export async function scheduled(controller: Pick<ScheduledController, "scheduledTime" | "cron">, env: Env): Promise<void> {
  try {
    await sweepOutbox(env);
    if (controller.cron !== RETENTION_CRON) return;
    const pruned = await pruneExpired(getDb(env.DB), controller.scheduledTime, readConfig(env));
    console.log(JSON.stringify({ level: "info", event: "pruned", cron: controller.cron, ...pruned }));
  } catch (error) {
    logFailure(error instanceof Error ? error : new Error(String(error)), "scheduled_failed");
    throw error;
  }
}

// The Worker: the app, the events queue's consumer and the Cron Triggers.
const app = createApp();
export default {
  fetch: app.fetch,
  queue: (batch, env) => handleEventBatch(batch, env),
  scheduled: (controller, env) => scheduled(controller, env),
} satisfies ExportedHandler<Env, EventMessage>;
