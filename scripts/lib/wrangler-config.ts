// The one reader of wrangler.toml for the scripts: wrangler's own, so that a script sees the
// configuration exactly as `wrangler dev` and `wrangler deploy` resolve it.
import path from "node:path";
import { ROOT } from "./wrangler";

/**
 * The parts of wrangler's resolved configuration read by the scripts and the tests. wrangler's own
 * type comes from a package it bundles without its declarations, so it arrives as `any`.
 */
export interface WranglerConfig {
  d1_databases: Array<{ binding: string; database_name?: string; database_id?: string; migrations_dir?: string }>;
  vars: Record<string, unknown>;
  triggers: { crons?: string[] };
}

/**
 * The environment's configuration as wrangler resolves it (envs do not inherit bindings or vars);
 * no `env`: the top level, the local configuration.
 */
export async function readWranglerConfig(env?: string, configPath = path.join(ROOT, "wrangler.toml")): Promise<WranglerConfig> {
  // Loaded on demand: wrangler's API is large, and only some paths of the scripts need it.
  const { unstable_readConfig: readConfig } = await import("wrangler");
  const config: WranglerConfig = readConfig({ config: configPath, env }, { hideWarnings: true });
  return config;
}

/** The environment's vars that are strings, as the Worker sees them in `env`. */
export async function wranglerVars(env?: string): Promise<Record<string, string>> {
  const { vars } = await readWranglerConfig(env);
  return Object.fromEntries(Object.entries(vars).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}
