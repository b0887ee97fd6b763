import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Sealed } from "../crypto/secret-box";
import type { Db } from "./client";
import { eventOutbox, webhookDeliveries, webhookEndpoints, type WebhookDeliveryRow, type WebhookEndpointRow } from "./schema";

/** An endpoint as the console and the CLI show it: never its secret. */
export interface EndpointListing {
  id: string;
  url: string;
  events: string[];
  disabledAt: number | null;
  createdAt: number;
  /** Unix ms until which the previous secret still signs; null when none does. */
  previousUntil: number | null;
}

const listing = {
  id: webhookEndpoints.id,
  url: webhookEndpoints.url,
  events: webhookEndpoints.events,
  disabledAt: webhookEndpoints.disabledAt,
  createdAt: webhookEndpoints.createdAt,
  previousUntil: webhookEndpoints.previousUntil,
};

const parsed = (row: Omit<EndpointListing, "events"> & { events: string }): EndpointListing => ({
  ...row,
  events: JSON.parse(row.events) as string[],
});

/** The endpoints, oldest first, as a query (the webhook CLI runs it through wrangler: `events` stays JSON text there). */
export const selectEndpoints = (db: Db) => db.select(listing).from(webhookEndpoints).orderBy(webhookEndpoints.createdAt);
export const selectEndpoint = (db: Db, id: string) => db.select(listing).from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).limit(1);

export async function listEndpoints(db: Db): Promise<EndpointListing[]> {
  return (await selectEndpoints(db)).map(parsed);
}

export async function findEndpoint(db: Db, id: string): Promise<EndpointListing | null> {
  const [row] = await selectEndpoint(db, id);
  return row ? parsed(row) : null;
}

export function insertEndpoint(db: Db, row: { id: string; url: string; events: string[]; secret: Sealed; createdAt: number }) {
  return db.insert(webhookEndpoints).values({
    id: row.id,
    url: row.url,
    events: JSON.stringify(row.events),
    secretCiphertext: row.secret.ciphertext,
    secretKeyId: row.secret.sealKeyId,
    createdAt: row.createdAt,
  });
}

const endpointWithId = (id: string) => eq(webhookEndpoints.id, id);

export function disableEndpointStatement(db: Db, id: string, nowMs: number) {
  return db
    .update(webhookEndpoints)
    .set({ disabledAt: nowMs })
    .where(and(endpointWithId(id), isNull(webhookEndpoints.disabledAt)))
    .returning({ id: webhookEndpoints.id });
}

export function deleteEndpointStatement(db: Db, id: string) {
  return db.delete(webhookEndpoints).where(endpointWithId(id)).returning({ id: webhookEndpoints.id });
}

/** The current secret becomes the previous one (signing too until `previousUntil`). */
export function rotateSecretStatement(db: Db, id: string, secret: Sealed, previousUntil: number) {
  return db
    .update(webhookEndpoints)
    .set({
      previousCiphertext: webhookEndpoints.secretCiphertext,
      previousKeyId: webhookEndpoints.secretKeyId,
      previousUntil,
      secretCiphertext: secret.ciphertext,
      secretKeyId: secret.sealKeyId,
    })
    .where(endpointWithId(id))
    .returning({ id: webhookEndpoints.id });
}

/** Endpoints that may receive events (not disabled), with their sealed secrets: the consumer's read. */
export function activeEndpoints(db: Db, only?: string) {
  return db
    .select()
    .from(webhookEndpoints)
    .where(and(isNull(webhookEndpoints.disabledAt), only === undefined ? undefined : endpointWithId(only)));
}

export function deliveriesOf(db: Db, eventIds: string[]) {
  return db.select().from(webhookDeliveries).where(inArray(webhookDeliveries.eventId, eventIds));
}

export type DeliveryOutcome = Pick<WebhookDeliveryRow, "eventId" | "endpointId" | "status" | "lastStatus" | "lastError" | "updatedAt">;

/** Records one attempt: the count goes up by one, the status and the last answer are replaced. */
export function recordAttempt(db: Db, outcome: DeliveryOutcome) {
  return db
    .insert(webhookDeliveries)
    .values({ ...outcome, attempts: 1 })
    .onConflictDoUpdate({
      target: [webhookDeliveries.eventId, webhookDeliveries.endpointId],
      set: {
        attempts: sql`${webhookDeliveries.attempts} + 1`,
        status: outcome.status,
        lastStatus: outcome.lastStatus,
        lastError: outcome.lastError,
        updatedAt: outcome.updatedAt,
      },
    });
}

/** The dead-letter queue's verdict: what is still being retried for these events has failed. */
export function markFailed(db: Db, eventIds: string[], nowMs: number) {
  return db
    .update(webhookDeliveries)
    .set({ status: "failed", updatedAt: nowMs })
    .where(and(inArray(webhookDeliveries.eventId, eventIds), eq(webhookDeliveries.status, "retrying")));
}

/** A redelivery starts again: the row counts anew and shows as retrying. */
export function restartDelivery(db: Db, eventId: string, endpointId: string, nowMs: number) {
  return db
    .update(webhookDeliveries)
    .set({ status: "retrying", updatedAt: nowMs })
    .where(and(eq(webhookDeliveries.eventId, eventId), eq(webhookDeliveries.endpointId, endpointId)))
    .returning({ eventId: webhookDeliveries.eventId });
}

export interface DeliveryListing extends WebhookDeliveryRow {
  type: string;
}

/** An endpoint's latest deliveries, newest first, with their event's type. */
export function recentDeliveries(db: Db, endpointId: string, limit: number): Promise<DeliveryListing[]> {
  return db
    .select({
      eventId: webhookDeliveries.eventId,
      endpointId: webhookDeliveries.endpointId,
      status: webhookDeliveries.status,
      attempts: webhookDeliveries.attempts,
      lastStatus: webhookDeliveries.lastStatus,
      lastError: webhookDeliveries.lastError,
      updatedAt: webhookDeliveries.updatedAt,
      type: sql<string>`coalesce(${eventOutbox.type}, '?')`,
    })
    .from(webhookDeliveries)
    .leftJoin(eventOutbox, eq(eventOutbox.id, webhookDeliveries.eventId))
    .where(eq(webhookDeliveries.endpointId, endpointId))
    .orderBy(desc(webhookDeliveries.updatedAt))
    .limit(limit);
}

export type { WebhookEndpointRow };
