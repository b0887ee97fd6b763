// npm run bench [-- --quick] [-- --seconds N] [-- --no-micro] [-- --with-inspector]
// Micro benchmarks first (nothing else running), then the HTTP benchmark against wrangler dev,
// then the table on stdout and bench/results/latest.{json,md}. See bench/README.md.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generateApiKey } from "../src/crypto/api-keys";
import { runIfEntryPoint } from "../scripts/cli";
import { newEncryptionKey } from "../scripts/d1";
import { startLocalServer } from "../scripts/local-server";
import type { FloodResult } from "./flood";
import { CONNECTIONS, runHttp } from "./http";
import { describeMachine } from "./machine";
import { runMicro, type MicroResult } from "./micro";
import { evaluateTargets, printReport, withRatios, writeResults, type BenchResult, type ScenarioRuns } from "./report";
import { cpuMeter, sampleWorkerdMemory, type MemoryReport } from "./rss";
import { seedUsers } from "./seed";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const USERS = 10_000;
/** High enough that rotating wrong tokens over the users never locks one (the default is 5). */
const LOCKOUT_THRESHOLD = 1000;

interface BenchOptions {
  quick: boolean;
  micro: boolean;
  /** Keep wrangler's inspector proxy (--with-inspector). */
  inspector: boolean;
  users: number;
  /** Length of each timed run. */
  seconds: number;
  lockoutNote: string;
}

function parseArgs(argv: readonly string[]): BenchOptions {
  const quick = argv.includes("--quick");
  const at = argv.indexOf("--seconds");
  const seconds = at >= 0 ? Number(argv[at + 1]) : quick ? 2 : 5;
  if (!(seconds > 0)) throw new Error("--seconds needs a positive number");
  return {
    quick,
    micro: !argv.includes("--no-micro"),
    inspector: argv.includes("--with-inspector"),
    users: USERS,
    seconds,
    lockoutNote: `failure path: wrong tokens rotated over all users, LOCKOUT_THRESHOLD=${LOCKOUT_THRESHOLD} so none is ever locked`,
  };
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (!options.inspector) {
    // wrangler dev attaches an inspector proxy to the Worker that relays every runtime event
    // through its Node process: in our measurements it more than doubled the server CPU of a D1
    // query. The edge has nothing like it. This variable is the switch wrangler reads to leave
    // the proxy out (it thinks a VS Code debugger owns the inspector); scripts/wrangler.ts copies
    // process.env at each start. --with-inspector measures the stock setup.
    process.env.VSCODE_INSPECTOR_OPTIONS ??= "{}";
  }
  const machine = describeMachine();
  const started = Date.now();

  let micro: MicroResult[] | null = null;
  if (options.micro) {
    log("micro benchmarks (tinybench)…");
    micro = await runMicro({ quick: options.quick });
  }

  log(`seeding ${options.users.toLocaleString("en")} users into a fresh local D1…`);
  const persistTo = mkdtempSync(path.join(tmpdir(), "totp-edge-bench-"));
  const keyringConfig = newEncryptionKey("bench");
  const secrets = await seedUsers({ persistTo, keyringConfig, count: options.users });
  const apiKey = generateApiKey();
  log("starting wrangler dev…");
  const server = await startLocalServer({
    persistTo,
    apiKeys: { bench: apiKey },
    vars: { SECRET_ENCRYPTION_KEYS: keyringConfig, LOCKOUT_THRESHOLD: String(LOCKOUT_THRESHOLD) },
  });
  const memory = sampleWorkerdMemory(server.pid);
  let http: ScenarioRuns[];
  let flood: FloodResult;
  let memoryReport: MemoryReport;
  let serverErrors: BenchResult["serverErrors"];
  try {
    ({ http, flood } = await runHttp(server.url, {
      apiKey,
      secrets,
      quick: options.quick,
      seconds: options.seconds,
      cpu: cpuMeter(server.pid),
      memory,
      log,
    }));
  } finally {
    memoryReport = memory.stop();
    const errorLines = server
      .output()
      .split("\n")
      .filter((line) => /"level":"error"|\[ERROR\]/.test(line));
    serverErrors = { count: errorLines.length, examples: errorLines.slice(0, 3).map((line) => line.slice(0, 200)) };
    await server.stop();
    rmSync(persistTo, { recursive: true, force: true });
  }

  const rated = withRatios(http);
  const result: BenchResult = {
    machine,
    options: {
      quick: options.quick,
      seconds: options.seconds,
      users: options.users,
      connections: CONNECTIONS,
      wranglerInspector: options.inspector,
      lockoutNote: options.lockoutNote,
    },
    memory: memoryReport,
    serverErrors,
    http: rated,
    flood,
    micro,
    durationSeconds: Math.round((Date.now() - started) / 1000),
    targets: evaluateTargets(rated, micro, flood),
  };
  printReport(result);
  writeResults(result, path.join(HERE, "results"));
  log(`done in ${result.durationSeconds} s; wrote bench/results/latest.json and latest.md`);
}

runIfEntryPoint(import.meta.url, main);
