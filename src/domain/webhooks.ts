import { bytesToBase64Url } from "../crypto/encoding";
import { seal } from "../crypto/secret-box";
import { insertAudit } from "../db/audit";
import { plainEventStatement } from "../db/outbox";
import {
  deleteEndpointStatement,
  disableEndpointStatement,
  type EndpointListing,
  findEndpoint,
  insertEndpoint,
  listEndpoints,
  recentDeliveries,
  restartDelivery,
  rotateSecretStatement,
} from "../db/webhooks";
import { endpointUrlProblem, type WebhookSettings } from "../events/settings";
import { newWebhookSecret, secretText } from "../events/sign";
import type { AuditAction } from "./audit";
import type { Deps } from "./deps";
import { actorOf, type EventType, isEventType, newEvent } from "./events";

export type { EndpointListing };

/** The sealed secret's additional data: a ciphertext copied onto another endpoint does not open. */
export const endpointContext = (id: string) => `webhook:${id}`;

export const newEndpointId = () => `ep_${bytesToBase64Url(crypto.getRandomValues(new Uint8Array(12)))}`;

/** How many deliveries the console shows per endpoint. */
const RECENT_DELIVERIES = 20;

export type EndpointRequest = { ok: true; url: string; events: EventType[] } | { ok: false; error: string };

/** Checks a URL and a list of event types as typed (console or CLI). */
export function checkEndpointRequest(url: string, types: string[], settings: Pick<WebhookSettings, "localHttp">): EndpointRequest {
  const problem = endpointUrlProblem(url.trim(), settings);
  if (problem) return { ok: false, error: problem };
  const unknown = types.filter((type) => !isEventType(type));
  if (unknown.length > 0) return { ok: false, error: `Unknown event type: ${unknown.join(", ")}.` };
  if (types.length === 0) return { ok: false, error: "Choose at least one event type." };
  return { ok: true, url: url.trim(), events: [...new Set(types)] as EventType[] };
}

const audit = (deps: Pick<Deps, "db" | "now">, actor: string, action: AuditAction, id: string) =>
  insertAudit(deps.db, { at: deps.now(), actor, action, target: `webhook ${id}`, outcome: "ok" });

/** Adds an endpoint; its `whsec_` secret is returned to be shown once (stored only sealed). */
export async function addEndpoint(deps: Deps, actor: string, url: string, events: EventType[]): Promise<{ id: string; secret: string }> {
  const id = newEndpointId();
  const secret = newWebhookSecret();
  const sealed = await seal(await deps.keyring(), secret, endpointContext(id));
  await deps.db.batch([
    insertEndpoint(deps.db, { id, url, events, secret: sealed, createdAt: deps.now() }),
    audit(deps, actor, "webhook.add", id),
  ]);
  return { id, secret: secretText(secret) };
}

export const endpoints = (deps: Deps) => listEndpoints(deps.db);
export const endpoint = (deps: Deps, id: string) => findEndpoint(deps.db, id);
export const deliveries = (deps: Deps, id: string) => recentDeliveries(deps.db, id, RECENT_DELIVERIES);

/** Disables an endpoint (it gets nothing from now on); false when there is no such active endpoint. */
export async function disableEndpoint(deps: Deps, actor: string, id: string): Promise<boolean> {
  const [done] = await deps.db.batch([disableEndpointStatement(deps.db, id, deps.now()), audit(deps, actor, "webhook.disable", id)]);
  return done.length > 0;
}

export async function removeEndpoint(deps: Deps, actor: string, id: string): Promise<boolean> {
  if (!(await findEndpoint(deps.db, id))) return false;
  const [done] = await deps.db.batch([deleteEndpointStatement(deps.db, id), audit(deps, actor, "webhook.remove", id)]);
  return done.length > 0;
}

/** A new secret, shown once; the old one still signs (a second signature) for the grace period. */
export async function rotateEndpointSecret(deps: Deps, actor: string, id: string): Promise<string | null> {
  if (!(await findEndpoint(deps.db, id))) return null;
  const secret = newWebhookSecret();
  const sealed = await seal(await deps.keyring(), secret, endpointContext(id));
  const until = deps.now() + deps.webhooks.rotationGraceMs;
  const [done] = await deps.db.batch([rotateSecretStatement(deps.db, id, sealed, until), audit(deps, actor, "webhook.rotate", id)]);
  return done.length > 0 ? secretText(secret) : null;
}

/** A `webhook.test` event for this endpoint alone. */
export async function sendTestEvent(deps: Deps, actor: string, id: string): Promise<boolean> {
  if (!(await findEndpoint(deps.db, id))) return false;
  const event = newEvent(deps, "webhook.test");
  const data = { endpoint_id: id, actor: actorOf(actor), outcome: "ok" };
  await deps.db.batch([plainEventStatement(deps.db, event, data), audit(deps, actor, "webhook.test", id)]);
  deps.events.push({ event: event.id, endpoint: id });
  return true;
}

/** Sends an event to one endpoint again, whatever its delivery's state (same webhook-id). */
export async function redeliver(deps: Deps, actor: string, id: string, eventId: string): Promise<boolean> {
  const [done] = await deps.db.batch([restartDelivery(deps.db, eventId, id, deps.now()), audit(deps, actor, "webhook.redeliver", id)]);
  if (done.length === 0) return false;
  deps.events.push({ event: eventId, endpoint: id });
  return true;
}
