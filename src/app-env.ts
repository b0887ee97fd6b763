import type { Env } from "./config";
import type { Deps } from "./domain/deps";

/** Hono's typing of this app: the Worker bindings, and the domain dependencies built per request. */
export interface AppEnv {
  Bindings: Env;
  Variables: { deps: Deps };
}
