import type { Env } from "./config";
import type { Caller } from "./domain/api-key";
import type { Deps } from "./domain/deps";
import type { Session } from "./domain/sessions";
import type { Outcome } from "./http/outcome";

/** Hono's typing of this app: the Worker bindings, the domain dependencies built per request, what the request log reports, and the console or portal session. */
export interface AppEnv {
  Bindings: Env;
  Variables: { deps: Deps; caller?: Caller; outcome?: Outcome; session?: Session };
}
