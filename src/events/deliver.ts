import type { Env } from "../config";
import { utf8 } from "../crypto/encoding";
import { type Keyring, loadKeyring, open } from "../crypto/secret-box";
import { getDb } from "../db/client";
import { findEvents, markDispatched } from "../db/outbox";
import type { eventOutbox } from "../db/schema";
import { activeEndpoints, type DeliveryOutcome, deliveriesOf, markFailed, recordAttempt, type WebhookEndpointRow } from "../db/webhooks";
import type { EventMessage } from "./message";
import { MAX_PAYLOAD_BYTES, retryDelaySeconds, type WebhookSettings, webhookSettings } from "./settings";
import { endpointContext } from "../domain/webhooks";
import { signatureHeader } from "./sign";

type EventRow = typeof eventOutbox.$inferSelect;

/** The queue consumer: the events queue delivers, its dead-letter queue records what failed for good. */
export async function handleEventBatch(batch: MessageBatch<EventMessage>, env: Env, now: () => number = Date.now): Promise<void> {
  const db = getDb(env.DB);
  const ids = [...new Set(batch.messages.map((message) => message.body.event))];
  if (batch.queue.endsWith("-dead")) {
    await markFailed(db, ids, now());
    batch.ackAll();
    return;
  }
  const settings = webhookSettings(env);
  const [events, endpoints, deliveries] = await db.batch([findEvents(db, ids), activeEndpoints(db), deliveriesOf(db, ids)]);
  const delivered = new Set(deliveries.filter((d) => d.status === "delivered").map((d) => `${d.eventId} ${d.endpointId}`));
  const byId = new Map(events.map((event) => [event.id, event]));
  const keyring = await loadKeyring(env.SECRET_ENCRYPTION_KEYS);
  const outcomes: DeliveryOutcome[] = [];
  await Promise.all(
    batch.messages.map(async (message) => {
      const event = byId.get(message.body.event);
      // No row: the change it was to report did not happen (its guard did not hold).
      if (!event) return message.ack();
      const only = message.body.endpoint ?? testedEndpoint(event);
      const targets = endpoints.filter((endpoint) =>
        only === undefined
          ? (JSON.parse(endpoint.events) as string[]).includes(event.type) && !delivered.has(`${event.id} ${endpoint.id}`)
          : endpoint.id === only,
      );
      const results = await Promise.all(targets.map((endpoint) => deliver(endpoint, event, keyring, settings, now())));
      outcomes.push(...results);
      if (results.every((result) => result.status === "delivered")) message.ack();
      else message.retry({ delaySeconds: retryDelaySeconds(settings, message.attempts) });
    }),
  );
  await db.batch([markDispatched(db, ids, now()), ...outcomes.map((outcome) => recordAttempt(db, outcome))]);
}

/** A test event goes to the endpoint it tests alone, also when the sweeper sends it (the CLI's `test`). */
function testedEndpoint(event: EventRow): string | undefined {
  return event.type === "webhook.test" ? (JSON.parse(event.data) as { endpoint_id?: string }).endpoint_id : undefined;
}

/** The body every endpoint gets for an event: its type, its time (ISO 8601) and its data. */
export function eventBody(event: Pick<EventRow, "type" | "at" | "data">): string {
  return `{"type":${JSON.stringify(event.type)},"timestamp":"${new Date(event.at).toISOString()}","data":${event.data}}`;
}

async function signingSecrets(endpoint: WebhookEndpointRow, keyring: Keyring, nowMs: number): Promise<Uint8Array[]> {
  const context = endpointContext(endpoint.id);
  const current = await open(keyring, { ciphertext: endpoint.secretCiphertext, sealKeyId: endpoint.secretKeyId }, context);
  const { previousCiphertext, previousKeyId, previousUntil } = endpoint;
  if (previousCiphertext === null || previousKeyId === null || previousUntil === null || previousUntil <= nowMs) return [current];
  return [current, await open(keyring, { ciphertext: previousCiphertext, sealKeyId: previousKeyId }, context)];
}

/** One POST: no redirect followed, a time limit, the size bounded; any answer but a 2xx is a failure. */
async function deliver(endpoint: WebhookEndpointRow, event: EventRow, keyring: Keyring, settings: WebhookSettings, nowMs: number) {
  const outcome = (status: DeliveryOutcome["status"], lastStatus: number | null, lastError: string | null): DeliveryOutcome => ({
    eventId: event.id,
    endpointId: endpoint.id,
    status,
    lastStatus,
    lastError,
    updatedAt: nowMs,
  });
  const body = eventBody(event);
  if (utf8.encode(body).length > MAX_PAYLOAD_BYTES) return outcome("failed", null, "payload too large");
  const timestamp = Math.floor(nowMs / 1000);
  const signature = await signatureHeader(await signingSecrets(endpoint, keyring, nowMs), event.id, timestamp, body);
  try {
    const response = await fetch(endpoint.url, {
      method: "POST",
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(settings.timeoutMs),
      headers: {
        "content-type": "application/json",
        "user-agent": "totp-edge-webhooks",
        "webhook-id": event.id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signature,
      },
    });
    // The answer's body is not read (it could be anything).
    response.body?.cancel().catch(() => {});
    if (response.status >= 200 && response.status < 300) return outcome("delivered", response.status, null);
    const redirect = response.status >= 300 && response.status < 400;
    return outcome("retrying", response.status, redirect ? "redirect not followed" : "not a 2xx answer");
  } catch (error) {
    const timedOut = error instanceof Error && error.name === "TimeoutError";
    return outcome("retrying", null, timedOut ? `no answer within ${settings.timeoutMs} ms` : "connection failed");
  }
}
