// npm run bench [-- --quick] [-- --seconds N] [-- --no-micro] [-- --no-import] [-- --with-inspector]
// Micro benchmarks first (nothing else running), then the HTTP benchmark against wrangler dev,
// then the table on stdout and bench/results/latest.{json,md}. See bench/README.md.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generateApiKey } from "../src/crypto/api-keys";
import { runIfEntryPoint } from "../scripts/lib/cli";
import { newEncryptionKey } from "../scripts/lib/d1";
import { startLocalServer } from "../scripts/lib/local-server";
import { runEdgeModel } from "./edge-model";
import { CONNECTIONS, runHttp } from "./http";
import { describeMachine } from "./machine";
import { benchImport, type ImportBenchResult } from "./import";
import { measureMemory } from "./memory";
import { runMicro, type MicroResult } from "./micro";
import { evaluateTargets, withRatios, writeResults, type BenchResult, type ScenarioRuns } from "./report";
import { printReport } from "./report-text";
import { cpuMeter, sampleWorkerdMemory } from "./rss";
import { benchScenarios, validateFailure } from "./scenarios";
import { seedUsers } from "./seed";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const USERS = 10_000;
/**
 * A threshold high enough that rotating wrong tokens over the users never locks one (the default
 * is 5), with locks of a day or more so that the Worker still accepts it: 150 guesses a day is
 * within the guessing bound (src/config.ts, guessSuccessesPerDay).
 */
const LOCKOUT = { LOCKOUT_THRESHOLD: "150", LOCKOUT_BASE_SECONDS: "86400", LOCKOUT_MAX_SECONDS: "604800" };

interface BenchOptions {
  quick: boolean;
  micro: boolean;
  /** Time the import of 100,000 users (10,000 with --quick); --no-import leaves it out. */
  import: boolean;
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
    import: !argv.includes("--no-import"),
    inspector: argv.includes("--with-inspector"),
    users: USERS,
    seconds,
    lockoutNote: `failure path: wrong tokens rotated over all users, LOCKOUT_THRESHOLD=${LOCKOUT.LOCKOUT_THRESHOLD} so none is ever locked`,
  };
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

type Measured = Pick<BenchResult, "memory" | "serverErrors" | "flood" | "roundTrips" | "edge" | "memoryPerRequest"> & {
  http: ScenarioRuns[];
};

/** Everything measured against wrangler dev: the main run, then the edge model and memory per request on the same D1 state. */
async function measureOnD1(persistTo: string, options: BenchOptions): Promise<Measured> {
  const keyringConfig = newEncryptionKey("bench");
  // One more user than the streams rotate over: the round-trip table's first sight with no copy near.
  const seeded = await seedUsers({ persistTo, keyringConfig, count: options.users + 1 });
  const secrets = seeded.slice(0, options.users);
  const cold = { userid: options.users + 1, secret: seeded[options.users]! };
  const apiKey = generateApiKey();
  const vars = { SECRET_ENCRYPTION_KEYS: keyringConfig, ...LOCKOUT };
  const scenarios = benchScenarios({ apiKey, secrets });
  log("starting wrangler dev…");
  const server = await startLocalServer({ persistTo, apiKeys: { bench: apiKey }, vars });
  const sampler = sampleWorkerdMemory(server.pid);
  let main: Pick<Measured, "http" | "flood" | "roundTrips">;
  let memory: Measured["memory"];
  try {
    main = await runHttp(server.url, {
      apiKey,
      scenarios,
      users: options.users,
      cold,
      quick: options.quick,
      seconds: options.seconds,
      cpu: cpuMeter(server.pid),
      memory: sampler,
      log,
    });
  } finally {
    memory = sampler.stop();
    await server.stop();
  }
  const errorLines = server
    .output()
    .split("\n")
    .filter((line) => /"level":"error"|\[ERROR\]/.test(line));
  const serverErrors = { count: errorLines.length, examples: errorLines.slice(0, 3).map((line) => line.slice(0, 200)) };
  // Users whose keys a fresh isolate caches after one request each: a few for the edge model (the
  // main run's 200 would take seconds per delay at 50 ms a round trip), more for the memory run's
  // 12,000 requests. Each phase has users of its own, so none reaches LOCKOUT_THRESHOLD.
  const cachedOf = (from: number, count: number) => ({
    scenario: validateFailure({ apiKey, secrets: secrets.slice(from, from + count), name: "validate, wrong token, key cached" }),
    count,
  });
  const edge = await runEdgeModel({ persistTo, vars, scenarios, cachedUsers: cachedOf(400, 20), seconds: options.quick ? 1 : 2, log });
  const requests = options.quick ? 3000 : 12_000;
  const memoryPerRequest = await measureMemory({ persistTo, vars, ours: cachedOf(200, 200), requests, log });
  return { ...main, memory, serverErrors, edge, memoryPerRequest };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (!options.inspector) {
    // wrangler dev attaches an inspector proxy to the Worker that relays every runtime event
    // through its Node process: in our measurements it more than doubled the server CPU of a D1
    // query. The edge has nothing like it. This variable is the switch wrangler reads to leave
    // the proxy out (it thinks a VS Code debugger owns the inspector); scripts/lib/wrangler.ts copies
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
  let measured: Measured;
  try {
    measured = await measureOnD1(persistTo, options);
  } finally {
    rmSync(persistTo, { recursive: true, force: true });
  }
  const { http, flood } = measured;

  let importRun: ImportBenchResult | null = null;
  if (options.import) {
    const rows = options.quick ? 10_000 : 100_000;
    log(`importing ${rows.toLocaleString("en")} generated users with npm run import…`);
    importRun = await benchImport(rows);
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
    ...measured,
    importRun,
    http: rated,
    micro,
    durationSeconds: Math.round((Date.now() - started) / 1000),
    targets: evaluateTargets(rated, micro, flood, measured.edge, measured.memoryPerRequest),
  };
  printReport(result);
  writeResults(result, path.join(HERE, "results"));
  log(`done in ${result.durationSeconds} s; wrote bench/results/latest.json, latest.md and edge-model.svg`);
}

runIfEntryPoint(import.meta.url, main);
