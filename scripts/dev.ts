// `npm run dev`: migrates the local D1, makes sure the development API key and an encryption key
// exist, then serves the API on localhost:8787 until Ctrl-C. Importing this file does nothing
// but define DEV_API_KEY and dropRequestLines (the API key CLI and the tests use them).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { insertApiKeys } from "./lib/api-key-rows";
import { runIfEntryPoint } from "./lib/cli";
import { applyMigrations, newEncryptionKey } from "./lib/d1";
import { fireOnSchedule } from "./lib/dev-cron";
import { recordServer } from "./lib/server-record";
import { ROOT, spawnWrangler, stopGroup } from "./lib/wrangler";

/**
 * Documented in the README, so public: only ever inserted into the local D1. Letters and digits
 * only, like every key we make, so that it works in the Token2 WordPress plugin too. A local D1
 * may still hold the previous development key; it is left as it was (it only ever opened this
 * machine's test data).
 */
export const DEV_API_KEY = "devkeyTOTPedgeLocalOnlyNotSecret";

async function main(): Promise<void> {
  const port = process.env.PORT ?? "8787";
  // The local keyring is made once and kept: secrets sealed under it must stay readable across runs.
  const devVars = path.join(ROOT, ".dev.vars");
  if (!existsSync(devVars) || !readFileSync(devVars, "utf8").includes("SECRET_ENCRYPTION_KEYS=")) {
    writeFileSync(devVars, `SECRET_ENCRYPTION_KEYS="${newEncryptionKey("dev")}"\n`, { flag: "a", mode: 0o600 });
    console.log("Created .dev.vars with a local encryption key (git-ignored).");
  }

  applyMigrations({});
  await insertApiKeys([{ label: "development", key: DEV_API_KEY }], {}, { ifAbsent: true });
  console.log(`\nLocal D1 migrated. Development API key: ${DEV_API_KEY}`);
  console.log(`Try: curl http://localhost:${port}/createuser -H "X-API-Key: ${DEV_API_KEY}" -d email=alice@example.com -d format=1`);
  console.log(`API reference: http://localhost:${port}/docs`);
  console.log(`Operator console: http://localhost:${port}/admin (first admin: npm run admin -- create NAME)`);
  console.log(`Self-service portal: http://localhost:${port}/portal\n`);

  const child = spawnWrangler(["dev", "--port", port, "--show-interactive-dev-session=false", "--test-scheduled"], {
    stdio: ["inherit", "pipe", "pipe"],
  });
  void fireOnSchedule(`http://127.0.0.1:${port}`, (line) => console.error(line));
  // So that npm run admin prints links to this port (scripts/lib/server-record.ts).
  if (child.pid !== undefined) process.on("exit", recordServer(undefined, { origin: `http://localhost:${port}`, pid: child.pid }));
  if (child.stdout) dropRequestLines(child.stdout, process.stdout);
  if (child.stderr) dropRequestLines(child.stderr, process.stderr);
  const stop = () => stopGroup(child).then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  child.on("exit", (code) => process.exit(code ?? 0));
}

/**
 * Passes wrangler's output on without its own line per request ("[wrangler:info] GET /validate
 * 200 OK (12ms)"): the Worker logs each request itself, with the route and the API's outcome, so
 * the terminal shows one line per request instead of two.
 */
export function dropRequestLines(from: NodeJS.ReadableStream, to: NodeJS.WritableStream): void {
  const request = /^(?:\x1b\[[0-9;]*m)*\[wrangler:info\](?:\x1b\[[0-9;]*m)* [A-Z]+ \S+ \d{3} /;
  createInterface({ input: from, crlfDelay: Infinity }).on("line", (line) => {
    if (!request.test(line)) to.write(`${line}\n`);
  });
}

runIfEntryPoint(import.meta.url, main);
