// How every script and the bench runner start: only when node was asked to run that very file.
// The tests import the scripts for their functions (DEV_API_KEY, buildBundle, startLocalServer),
// and an import must not migrate a D1, parse the test runner's arguments or exit.
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { type ParseArgsConfig, parseArgs } from "node:util";
import type { D1Target } from "./d1";

function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false; // node -e
  try {
    // import.meta.url is the file's real path; argv[1] is the path node was given (maybe a symlink).
    return moduleUrl === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

/** Runs `main` if the module at `moduleUrl` (pass import.meta.url) is the one node started; a failure exits 1 with its message. */
export function runIfEntryPoint(moduleUrl: string, main: () => void | Promise<void>): void {
  if (!isEntryPoint(moduleUrl)) return;
  Promise.resolve()
    .then(main)
    .catch((error: unknown) => {
      console.error(messageOf(error));
      process.exit(1);
    });
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;
const HELP = { help: { type: "boolean", short: "h" } } as const;

/** The options every D1 script takes: where its database is. */
export const D1_TARGET_OPTIONS = {
  remote: { type: "boolean", default: false },
  env: { type: "string" },
  "persist-to": { type: "string" },
} as const satisfies OptionsConfig;

export function d1Target(values: { remote?: boolean; env?: string; "persist-to"?: string }): D1Target {
  return { remote: values.remote, env: values.env, persistTo: values["persist-to"] };
}

/** Refuses a wrong argument: prints the message and the usage, exits 2 (nothing was written). */
export function usageError(usage: string, message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

/** A command-line script's arguments, refused with `usageError`; `--help` prints the usage. */
export function commandLine<const Options extends OptionsConfig>(usage: string, options: Options) {
  const config = { allowPositionals: true, options: { ...options, ...HELP } } as const;
  let parsed: ReturnType<typeof parseArgs<typeof config>>;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    return usageError(usage, messageOf(error));
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage);
    process.exit(0);
  }
  return parsed;
}
