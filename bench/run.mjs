// npm run bench [-- --quick] [-- --seconds N] [-- --no-micro] [-- --with-inspector]
// Micro benchmarks first (nothing else running), then the HTTP benchmark against wrangler dev,
// then the table on stdout and bench/results/latest.{json,md}. See bench/README.md.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";
import { runFlood } from "./flood.mjs";
import { runLoad } from "./load.mjs";
import { describeMachine } from "./machine.mjs";
import { evaluateTargets, printReport, withRatios, writeResults } from "./report.mjs";
import { cpuMeter, sampleWorkerdMemory } from "./rss.mjs";
import * as scenarios from "./scenarios.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CONNECTIONS = [1, 16, 64];
/** The flood scenario's load: the legitimate client and the flooder each. */
const FLOOD_CONNECTIONS = 16;
const USERS = 10_000;
/** High enough that rotating wrong tokens over the users never locks one (the default is 5). */
const LOCKOUT_THRESHOLD = 1000;

function parseArgs(argv) {
  const options = { quick: argv.includes("--quick"), micro: !argv.includes("--no-micro"), inspector: argv.includes("--with-inspector"), users: USERS };
  const seconds = argv.indexOf("--seconds");
  options.seconds = seconds >= 0 ? Number(argv[seconds + 1]) : options.quick ? 2 : 5;
  if (!(options.seconds > 0)) throw new Error("--seconds needs a positive number");
  options.lockoutNote = `failure path: wrong tokens rotated over all users, LOCKOUT_THRESHOLD=${LOCKOUT_THRESHOLD} so none is ever locked`;
  return options;
}

const log = (message) => process.stderr.write(`[bench] ${message}\n`);

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (!options.inspector) {
    // wrangler dev attaches an inspector proxy to the Worker that relays every runtime event
    // through its Node process: in our measurements it more than doubled the server CPU of a D1
    // query. The edge has nothing like it. This variable is the switch wrangler reads to leave
    // the proxy out (it thinks a VS Code debugger owns the inspector); it must be set before the
    // scripts below copy process.env for wrangler. --with-inspector measures the stock setup.
    process.env.VSCODE_INSPECTOR_OPTIONS ??= "{}";
  }
  register(); // lets this process import src/*.ts: the API key generator, the micro benchmarks
  const { generateApiKey } = await import("../src/crypto/api-keys.ts");
  const { startLocalServer } = await import("../scripts/local-server.mjs");
  const { benchKeyring, seedUsers } = await import("./seed.mjs");
  const machine = describeMachine();
  const started = Date.now();

  let micro = null;
  if (options.micro) {
    log("micro benchmarks (tinybench)…");
    const { runMicro } = await import("./micro.mjs");
    micro = await runMicro({ quick: options.quick });
  }

  log(`seeding ${options.users.toLocaleString("en")} users into a fresh local D1…`);
  const persistTo = mkdtempSync(path.join(tmpdir(), "totp-edge-bench-"));
  const keyring = benchKeyring();
  const secrets = seedUsers({ persistTo, keyring, count: options.users });
  const apiKey = generateApiKey();
  log("starting wrangler dev…");
  const server = await startLocalServer({
    persistTo,
    apiKeys: { bench: apiKey },
    vars: { SECRET_ENCRYPTION_KEYS: keyring.config, LOCKOUT_THRESHOLD: String(LOCKOUT_THRESHOLD) },
  });
  const memory = sampleWorkerdMemory(server.pid);
  let http, flood;
  try {
    ({ http, flood } = await runHttp(server.url, { apiKey, secrets, options, cpu: cpuMeter(server.pid), memory }));
  } finally {
    options.memory = memory.stop();
    const errorLines = server.output().split("\n").filter((line) => /"level":"error"|\[ERROR\]/.test(line));
    options.serverErrors = { count: errorLines.length, examples: errorLines.slice(0, 3).map((line) => line.slice(0, 200)) };
    await server.stop();
    rmSync(persistTo, { recursive: true, force: true });
  }

  const result = {
    machine,
    options: {
      quick: options.quick,
      seconds: options.seconds,
      users: options.users,
      connections: CONNECTIONS,
      wranglerInspector: options.inspector,
      lockoutNote: options.lockoutNote,
    },
    memory: options.memory,
    serverErrors: options.serverErrors,
    http: withRatios(http),
    flood,
    micro,
    durationSeconds: Math.round((Date.now() - started) / 1000),
  };
  result.targets = evaluateTargets(result.http, micro, flood);
  printReport(result);
  writeResults(result, path.join(HERE, "results"));
  log(`done in ${result.durationSeconds} s; wrote bench/results/latest.json and latest.md`);
}

async function runHttp(url, { apiKey, secrets, options, cpu, memory }) {
  const healthz = scenarios.healthz();
  const failure = scenarios.validateFailure({ apiKey, secrets });
  // The first 200 users, warmed up below: their keys stay cached in the isolate.
  const failureCached = scenarios.validateFailure({ apiKey, secrets: secrets.slice(0, 200), name: "validate, wrong token, key cached" });
  const success = scenarios.validateSuccess({ apiKey, secrets });
  const listUsers = scenarios.listUsers({ apiKey, count: secrets.length });
  const createUser = scenarios.createUser({ apiKey });

  // One of each by hand first: a wrong answer here would make every number below meaningless.
  for (const s of [healthz, failure, success]) {
    const body = await (await fetch(url + s.nextPath())).text();
    if (!s.verifyBody(body)) throw new Error(`${s.name}: unexpected answer ${JSON.stringify(body.slice(0, 200))}`);
  }
  const listAnswer = await fetch(url + listUsers.nextPath());
  const listBody = await listAnswer.text();
  const listUnavailable = listUsers.verifyBody(listBody) ? null : `GET /api.php?action=listusers answered HTTP ${listAnswer.status} ${JSON.stringify(listBody.slice(0, 60))}`;
  if (listUnavailable) log(`listusers unavailable: ${listUnavailable}`);

  const results = new Map();
  const record = async (scenario, id, connections) => {
    // A 10,000-user list is ~700 KB and takes ~100 ms of server CPU: 64 in flight need seconds
    // before the first answer, and a timed run would cut answers off mid-body (counted as errors).
    // So listusers runs a fixed number of requests, all of them answered.
    const amount = id === "listusers" ? Math.max(connections * (options.quick ? 1 : 2), options.quick ? 5 : 20) : undefined;
    log(`${scenario.name} @ ${connections} connections, ${amount ? `${amount} requests` : `${options.seconds} s`}`);
    memory.takeWindowPeak();
    const run = await runLoad({ url, connections, seconds: options.seconds, amount, cpu, ...scenario });
    run.peakRssMiB = memory.takeWindowPeak();
    if (!results.has(id)) results.set(id, { id, name: scenario.name, runs: [] });
    results.get(id).runs.push(run);
  };

  log("warm-up (1 s each, not reported)");
  for (const s of [healthz, failure, failureCached]) await runLoad({ url, connections: 16, seconds: 1, ...s });

  // Per connection count, the ceiling is measured before and after the routes compared with it
  // and averaged, so a drift in the machine's other load does not land on one side of the ratio.
  // createuser runs last, so listusers always sees exactly the seeded users (it is compared with
  // the same averaged ceiling).
  for (const connections of CONNECTIONS) {
    await record(healthz, "healthz", connections);
    await record(failure, "validate-failure", connections);
    await record(failureCached, "validate-failure-cached", connections);
    await record(success, "validate-success", connections);
    if (!listUnavailable) await record(listUsers, "listusers", connections);
    await record(healthz, "healthz-after", connections);
  }
  for (const connections of CONNECTIONS) await record(createUser, "createuser", connections);
  const before = results.get("healthz");
  const after = results.get("healthz-after");
  results.delete("healthz-after");
  before.runs = before.runs.map((run, i) => averageRuns(run, after.runs[i]));

  const order = ["healthz", "validate-failure", "validate-failure-cached", "validate-success", "listusers", "createuser"];
  if (listUnavailable) results.set("listusers", { id: "listusers", name: listUsers.name, runs: [], unavailable: listUnavailable });

  log(`flood: validate (legitimate key) alone, then beside a flood of wrong keys, ${FLOOD_CONNECTIONS} connections each, ${options.seconds} s`);
  const flood = await runFlood(url, { legit: scenarios.validateFailure({ apiKey, secrets }), seconds: options.seconds, connections: FLOOD_CONNECTIONS });
  return { http: order.map((id) => results.get(id)), flood };
}

/** The mean of two runs at the same connection count; the run pair is kept for the record. */
function averageRuns(a, b) {
  const mean = (key, digits) => (a[key] === null || b[key] === null ? null : Number(((a[key] + b[key]) / 2).toFixed(digits)));
  return {
    connections: a.connections,
    seconds: a.seconds + b.seconds,
    requests: a.requests + b.requests,
    rps: Math.round((a.rps + b.rps) / 2),
    p50: mean("p50", 2),
    p99: mean("p99", 2),
    errors: a.errors + b.errors,
    workerdCpuMs: mean("workerdCpuMs", 2),
    wranglerNodeCpuMs: mean("wranglerNodeCpuMs", 2),
    peakRssMiB: Math.max(a.peakRssMiB, b.peakRssMiB),
    measured: { before: a, after: b },
  };
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
