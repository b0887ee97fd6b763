import type { Config } from "../config";
import type { Db } from "../db/client";
import type { Keyring } from "../crypto/secret-box";

/** What domain functions work with: storage, configuration, the keyring, and the clock (Unix ms). */
export interface Deps {
  db: Db;
  config: Config;
  keyring: () => Promise<Keyring>;
  now: () => number;
  /** Where the request came from (CF-Connecting-IP), for limits per client address. */
  client: { address?: string };
  /** The KEY_REFUSALS rate limit binding: refused API keys per client address. */
  refusalLimiter?: RateLimit;
}
