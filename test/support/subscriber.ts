// An active webhook endpoint subscribed to every event type: events are written to the outbox
// only when someone subscribes (src/db/outbox.ts), so tests that read the outbox add one first.
import { env } from "cloudflare:workers";
import { loadKeyring, seal } from "../../src/crypto/secret-box";
import { EVENT_TYPES } from "../../src/domain/events";
import { endpointContext } from "../../src/domain/webhooks";

/** Adds the endpoint (its deliveries go nowhere: port 9 refuses) and returns its id. */
export async function subscribeToEverything(): Promise<string> {
  const id = `ep_everything_${crypto.randomUUID()}`;
  const sealed = await seal(await loadKeyring(env.SECRET_ENCRYPTION_KEYS), crypto.getRandomValues(new Uint8Array(24)), endpointContext(id));
  await env.DB.prepare(
    "INSERT INTO webhook_endpoints (id, url, events, secret_ciphertext, secret_key_id, created_at) VALUES (?, 'http://localhost:9/events', ?, ?, ?, ?)",
  )
    .bind(id, JSON.stringify(EVENT_TYPES), sealed.ciphertext, sealed.sealKeyId, Date.now())
    .run();
  return id;
}
