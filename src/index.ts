import { Hono } from "hono";
import { getPath } from "hono/utils/url";
import type { AppEnv } from "./app-env";
import { type Env, readConfig } from "./config";
import { getDb } from "./db/client";
import { pruneExpired } from "./domain/retention";
import { handleEventBatch } from "./events/deliver";
import { sweepOutbox } from "./events/dispatch";
import type { EventMessage } from "./events/message";
import { requestLog } from "./http/request-log";
import { requestDeps } from "./middleware/deps";
import { logFailure, notFound, renderError } from "./middleware/errors";
import { defaultHeaders } from "./middleware/headers";
import { mountRoute } from "./middleware/methods";
import { ROUTES } from "./routes";
import { adminPages } from "./routes/admin";
import { portalPages } from "./routes/portal";
import { refuseCrossSite } from "./web/forms";

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

/** Builds the app; the Worker and the tests both use this. */
export function createApp(options: AppOptions = {}): Hono<AppEnv> {
  const now = options.now ?? Date.now;
  const app = new Hono<AppEnv>({ getPath: routingPath });

  // Outermost first: the log sees every answer, errors included; the deps' after-work (events,
  // copies, Server-Timing) wraps the headers every answer gets.
  app.use(requestLog());
  app.use(requestDeps(now));
  app.use(defaultHeaders());

  // The route list is also what /openapi.json and /docs describe: a route exists in both or in neither.
  for (const route of ROUTES) mountRoute(app, route);

  // The console's and the portal's pages are not part of the API: /openapi.json and /docs do not list them.
  for (const pages of ["/admin", "/portal"]) app.use(pages, refuseCrossSite).use(`${pages}/*`, refuseCrossSite);
  app.route("/admin", adminPages);
  app.route("/portal", portalPages);

  app.notFound(notFound());
  app.onError(renderError());
  return app;
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
