import { bytesToBase64Url } from "../crypto/encoding";
import type { Deps } from "./deps";

/**
 * Every event a webhook endpoint can subscribe to, in one list: the console's checkboxes, the
 * CLI's `--events`, docs/events.md and the tests all iterate it. `data` names the payload's
 * fields besides `actor` and `outcome`, which every event has.
 */
export const EVENT_CATALOGUE = [
  { type: "user.created", when: "createuser made a user", data: ["userid", "username"] },
  { type: "user.confirmed", when: "a user's first code was accepted (validate or the portal)", data: ["userid", "username"] },
  { type: "user.locked", when: "wrong codes on validate reached the lockout threshold", data: ["userid", "username", "locked_until"] },
  { type: "user.unlocked", when: "an operator unlocked a user", data: ["userid", "username"] },
  { type: "user.secret_reset", when: "an operator gave a user a new secret", data: ["userid", "username"] },
  { type: "user.resynced", when: "an operator resynchronised a user's token", data: ["userid", "username"] },
  { type: "user.recovered", when: "a user re-enrolled with a recovery code (portal): a new secret", data: ["userid", "username"] },
  { type: "user.deleted", when: "a user was deleted (api.php or the console)", data: ["userid", "username"] },
  { type: "user.password_changed", when: "a user's local password was set (api.php or the console)", data: ["userid", "username"] },
  {
    type: "user.imported",
    when: "an import run wrote users (npm run import): one event per run",
    data: ["users", "imported", "skipped", "inventory"],
  },
  { type: "api_key.created", when: "an API key was made (console, npm run apikey)", data: ["key_id", "label"] },
  { type: "api_key.revoked", when: "an API key was revoked (console, npm run apikey)", data: ["key_id", "label"] },
  {
    type: "admin.login_refused",
    when: "console logins were refused from an address: one event per address and hour",
    data: ["address", "window_start", "window_end"],
  },
  { type: "admin.changed", when: "a console admin was created, invited, reset, disabled, unlocked or enrolled", data: ["admin", "change"] },
  { type: "webhook.test", when: "an operator sent a test event to one endpoint", data: ["endpoint_id"] },
] as const;

export type EventType = (typeof EVENT_CATALOGUE)[number]["type"];
export const EVENT_TYPES: readonly EventType[] = EVENT_CATALOGUE.map((event) => event.type);

export function isEventType(text: string): text is EventType {
  return (EVENT_TYPES as readonly string[]).includes(text);
}

/**
 * Who made the change: an admin of the console (by name), the admin CLI, an API key (by id), or
 * the user in the portal.
 * Audit entries name the first two as a string ("cli" or the admin's name).
 */
export type Actor = { type: "admin"; name: string } | { type: "cli" } | { type: "api_key"; id: number } | { type: "portal" };

export function actorOf(auditActor: string): Actor {
  return auditActor === "cli" ? { type: "cli" } : { type: "admin", name: auditActor };
}

/** An event about to be written: its id is the `webhook-id` of every delivery. */
export interface NewEvent {
  id: string;
  type: EventType;
  /** Unix milliseconds. */
  at: number;
}

/** "msg_" and 144 random bits, base64url. */
export function newEventId(): string {
  return `msg_${bytesToBase64Url(crypto.getRandomValues(new Uint8Array(18)))}`;
}

export function newEvent(deps: Pick<Deps, "now">, type: EventType): NewEvent {
  return { id: newEventId(), type, at: deps.now() };
}

/**
 * Queues the event once the answer is sent (src/events/dispatch.ts) if its batch wrote its outbox
 * row (`rows`: what the outbox statement returned). A guard that did not hold, or an event nobody
 * subscribes to, wrote no row and costs no queue message.
 */
export function written(deps: Pick<Deps, "events">, event: NewEvent, rows: readonly unknown[] | undefined): void {
  if (rows !== undefined && rows.length > 0) deps.events.push({ event: event.id });
}
