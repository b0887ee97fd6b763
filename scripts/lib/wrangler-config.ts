// The one reader of wrangler.toml for the scripts, with a TOML parser (smol-toml): wrangler's own
// reader takes seconds to load, and every CLI start would pay for it.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "smol-toml";
import { ROOT } from "./wrangler";

/** The parts of an environment's configuration the scripts and the tests read. */
export interface WranglerConfig {
  d1_databases: Array<{ binding: string; database_name?: string; database_id?: string; migrations_dir?: string }>;
  vars: Record<string, unknown>;
  triggers: { crons?: string[] };
}

type Table = Partial<WranglerConfig> & { env?: Record<string, Partial<WranglerConfig>> };

/**
 * The environment's configuration as wrangler resolves these keys: an environment inherits none of
 * them from the top level (wrangler's rule for bindings, vars and triggers alike). No `env`: the
 * top level, the local configuration.
 */
export async function readWranglerConfig(env?: string, configPath = path.join(ROOT, "wrangler.toml")): Promise<WranglerConfig> {
  const toml = parse(readFileSync(configPath, "utf8")) as Table;
  const table = env === undefined ? toml : (toml.env?.[env] ?? {});
  return { d1_databases: table.d1_databases ?? [], vars: table.vars ?? {}, triggers: table.triggers ?? {} };
}

/** The environment's vars that are strings, as the Worker sees them in `env`. */
export async function wranglerVars(env?: string): Promise<Record<string, string>> {
  const { vars } = await readWranglerConfig(env);
  return Object.fromEntries(Object.entries(vars).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}
