// How every script and the bench runner start: only when node was asked to run that very file.
// The tests import the scripts for their functions (DEV_API_KEY, buildBundle, startLocalServer),
// and an import must not migrate a D1, parse the test runner's arguments or exit.
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";

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
