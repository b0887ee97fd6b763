import type { Config } from "../config";
import type { Db, RequestDatabases } from "../db/client";
import type { Keyring } from "../crypto/secret-box";
import type { UserCopies } from "../db/user-copies";
import type { EventMessage } from "../events/message";
import type { WebhookSettings } from "../events/settings";

/**
 * What domain functions work with: storage, configuration, the keyring, and the clock (Unix ms).
 * `db` is D1's primary: validate, key checks and every write use it. `replica` is for reads that
 * tolerate a replica's lag (listusers, QR, healthz: docs/api.md, "Decisions").
 */
export interface Deps extends RequestDatabases {
  config: Config;
  keyring: () => Promise<Keyring>;
  now: () => number;
  /** Where the request came from: CF-Connecting-IP as src/http/client-address.ts keys it (an IPv6 client by its /64), for limits per client address. */
  client: { address?: string };
  /** The KEY_REFUSALS rate limit binding: refused API keys per client address. */
  refusalLimiter?: RateLimit;
  /** Users' rows copied near the Worker, read by validate before its guarded write. */
  copies: UserCopies;
  /** The LOGIN_ATTEMPTS rate limit binding: console and portal login posts per client address. */
  loginLimiter?: RateLimit;
  /** Events this request wrote to the outbox: sent to the queue after the answer (docs/events.md). */
  events: EventMessage[];
  /** Webhook settings (WEBHOOK_* vars), for the console's and the CLI's endpoint management. */
  webhooks: WebhookSettings;
  /** Work that may wait until the answer is sent (waitUntil); absent outside a request. */
  defer?: (work: Promise<unknown>) => void;
}

/**
 * A read that may be answered by any replica, asked again of the primary when the replica found
 * nothing: a replica may not have yet a user created a moment ago (createuser's hashqr is fetched
 * at once), nor a secret reset a moment ago. A hit costs one round trip, a miss two.
 */
export async function readAllowingLag<T>(deps: Pick<Deps, "db" | "replica">, read: (db: Db) => Promise<T | null>): Promise<T | null> {
  const replica = deps.replica("first-unconstrained");
  return (replica && (await read(replica))) ?? read(deps.db);
}
