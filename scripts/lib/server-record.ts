// Where the local server of a local D1 is listening. `npm run dev` (and the servers the tests start)
// write their address into the D1's state folder while they run and remove it when they stop, so
// that a CLI acting on that D1 prints links to the server that really serves it (npm run admin --
// create), whatever PORT it was started with. The file is git-ignored with the rest of .wrangler/.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./wrangler";

const FILE = "server.json";

interface ServerRecord {
  origin: string;
  /** wrangler's pid: a record whose process is gone is stale (a server killed with SIGKILL). */
  pid: number;
}

/** The local state folder of a D1: wrangler's default, or --persist-to (relative to the project, as wrangler runs there). */
function stateFolder(persistTo: string | undefined): string {
  return persistTo ? path.resolve(ROOT, persistTo) : path.join(ROOT, ".wrangler", "state");
}

/** Records that `origin` serves the D1 in `persistTo`; returns what removes the record (if it is still this one). */
export function recordServer(persistTo: string | undefined, record: ServerRecord): () => void {
  const file = path.join(stateFolder(persistTo), FILE);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(record)}\n`);
  return () => {
    if (readRecord(file)?.pid === record.pid) rmSync(file, { force: true });
  };
}

/** The origin of the running server of the D1 in `persistTo`, if one is running. */
export function runningServerOrigin(persistTo: string | undefined): string | undefined {
  const record = readRecord(path.join(stateFolder(persistTo), FILE));
  return record && isRunning(record.pid) ? record.origin : undefined;
}

function readRecord(file: string): ServerRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(file, "utf8")) as Partial<ServerRecord>;
    return typeof record.origin === "string" && typeof record.pid === "number" ? { origin: record.origin, pid: record.pid } : undefined;
  } catch {
    return undefined; // none, or half-written
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
