import type { Env } from "../config";
import { getDb } from "../db/client";
import { undispatchedEvents } from "../db/outbox";
import type { EventMessage } from "./message";

/**
 * An event no consumer took within this long is sent again by the sweeper: its request's isolate
 * ended before the send after the answer, or a CLI wrote it (CLIs write to D1, not to the queue).
 */
const SWEEP_AFTER_MS = 60_000;
/** Cloudflare Queues takes at most 100 messages a sendBatch. */
const SWEEP_BATCH = 100;

/** Sends events to the queue (after the answer: the Worker keeps this alive with waitUntil). */
export async function sendEvents(queue: Queue<EventMessage> | undefined, messages: EventMessage[]): Promise<void> {
  if (!queue || messages.length === 0) return;
  await queue.sendBatch(messages.map((body) => ({ body })));
}

/** The Cron Trigger's work: events left in the outbox go to the queue (at least once; receivers dedupe by webhook-id). */
export async function sweepOutbox(env: Env, nowMs: number = Date.now()): Promise<number> {
  const rows = await undispatchedEvents(getDb(env.DB), nowMs - SWEEP_AFTER_MS, SWEEP_BATCH);
  await sendEvents(
    env.EVENTS,
    rows.map((row) => ({ event: row.id })),
  );
  return rows.length;
}
