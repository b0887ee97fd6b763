// The HTTP benchmark against a running server: every scenario at each connection count, the
// ceiling before and after the others, then the flood scenario.
import { runFlood, type FloodResult } from "./flood";
import { runLoad, type Scenario } from "./load";
import type { HttpRun, ScenarioRuns } from "./report";
import { type ColdUser, measureRoundTrips, type RoundTripRow } from "./round-trips";
import type { CpuMeter, MemorySampler } from "./rss";
import type { BenchScenarios } from "./scenarios";

export const CONNECTIONS = [1, 16, 64];
/** The flood scenario's load: the legitimate client and the flooder each. */
const FLOOD_CONNECTIONS = 16;

interface HttpBenchOptions {
  apiKey: string;
  scenarios: BenchScenarios;
  /** How many users the streams rotate over: the warm-up validates each once, leaving a copy of each near. */
  users: number;
  /** For the round-trip table's first sight without a copy. */
  cold: ColdUser;
  /** Fewer listusers requests. */
  quick: boolean;
  /** Length of each timed run. */
  seconds: number;
  cpu: CpuMeter;
  memory: MemorySampler;
  log: (message: string) => void;
}

interface HttpBenchResult {
  http: ScenarioRuns[];
  flood: FloodResult;
  roundTrips: RoundTripRow[];
}

export async function runHttp(
  url: string,
  { apiKey, scenarios, users, cold, quick, seconds, cpu, memory, log }: HttpBenchOptions,
): Promise<HttpBenchResult> {
  const { healthz, failure, failureCached, success, listUsers, createUser } = scenarios;

  // One of each by hand first: a wrong answer here would make every number below meaningless.
  for (const s of [healthz, failure, success]) {
    const body = await (await fetch(url + s.nextPath())).text();
    if (!s.verifyBody(body)) throw new Error(`${s.name}: unexpected answer ${JSON.stringify(body.slice(0, 200))}`);
  }
  const listAnswer = await fetch(url + listUsers.nextPath());
  const listBody = await listAnswer.text();
  const listUnavailable = listUsers.verifyBody(listBody)
    ? null
    : `GET /api.php?action=listusers answered HTTP ${listAnswer.status} ${JSON.stringify(listBody.slice(0, 60))}`;
  if (listUnavailable) log(`listusers unavailable: ${listUnavailable}`);

  const results = new Map<string, ScenarioRuns>();
  const record = async (scenario: Scenario, id: string, connections: number) => {
    // A 10,000-user list is ~700 KB and takes ~100 ms of server CPU: 64 in flight need seconds
    // before the first answer, and a timed run would cut answers off mid-body (counted as errors).
    // So listusers runs a fixed number of requests, all of them answered.
    const amount = id === "listusers" ? Math.max(connections * (quick ? 1 : 2), quick ? 5 : 20) : undefined;
    log(`${scenario.name} @ ${connections} connections, ${amount ? `${amount} requests` : `${seconds} s`}`);
    memory.takeWindowPeak();
    const load = await runLoad({ url, connections, seconds, amount, cpu, ...scenario });
    const run: HttpRun = { ...load, peakRssMiB: memory.takeWindowPeak() };
    const entry = results.get(id) ?? { id, name: scenario.name, runs: [] };
    entry.runs.push(run);
    results.set(id, entry);
  };

  // The seeded users are written straight into D1, so no copy of them is near yet: one wrong token
  // for each leaves one, as a day of logins would in a data center. The first-sight streams then
  // measure a first sight with a copy near; the round-trip table shows a cold one too.
  log(`warm-up (not reported): one validate for each of the ${users.toLocaleString("en")} users, then 1 s of each stream`);
  await runLoad({ url, connections: 16, amount: users, ...failure });
  for (const s of [healthz, failure, failureCached]) await runLoad({ url, connections: 16, seconds: 1, ...s });

  // Per connection count, the ceiling is measured right before and right after the routes compared
  // with it, and averaged, so a drift in the machine's other load does not land on one side of the
  // ratio. listusers asks for the seeded users only, so createuser's users do not change its size.
  for (const connections of CONNECTIONS) {
    await record(healthz, "healthz", connections);
    await record(failure, "validate-failure", connections);
    await record(failureCached, "validate-failure-cached", connections);
    await record(success, "validate-success", connections);
    await record(createUser, "createuser", connections);
    if (!listUnavailable) await record(listUsers, "listusers", connections);
    await record(healthz, "healthz-after", connections);
  }
  const before = results.get("healthz");
  const after = results.get("healthz-after");
  if (!before || !after) throw new Error("the ceiling was not measured");
  results.delete("healthz-after");
  before.runs = before.runs.map((run, i) => {
    const pair = after.runs[i];
    if (!pair) throw new Error(`no ceiling run after the others at ${run.connections} connections`);
    return averageRuns(run, pair);
  });

  const order = ["healthz", "validate-failure", "validate-failure-cached", "validate-success", "listusers", "createuser"];
  if (listUnavailable) results.set("listusers", { id: "listusers", name: listUsers.name, runs: [], unavailable: listUnavailable });

  log(`flood: validate (legitimate key) alone, then beside a flood of wrong keys, ${FLOOD_CONNECTIONS} connections each, ${seconds} s`);
  const flood = await runFlood(url, { legit: failure, seconds, connections: FLOOD_CONNECTIONS });
  log("D1 round trips of each route, from Server-Timing");
  const roundTrips = await measureRoundTrips(url, apiKey, cold);
  return { http: order.map((id) => results.get(id)).filter((s): s is ScenarioRuns => s !== undefined), flood, roundTrips };
}

/** The mean of two runs at the same connection count; the run pair is kept for the record. */
function averageRuns(a: HttpRun, b: HttpRun): HttpRun {
  const mean = (x: number | null, y: number | null) => (x === null || y === null ? null : Number(((x + y) / 2).toFixed(2)));
  return {
    connections: a.connections,
    seconds: a.seconds + b.seconds,
    requests: a.requests + b.requests,
    rps: Math.round((a.rps + b.rps) / 2),
    p50: mean(a.p50, b.p50),
    p99: mean(a.p99, b.p99),
    errors: a.errors + b.errors,
    d1Trips: mean(a.d1Trips, b.d1Trips),
    workerdCpuMs: mean(a.workerdCpuMs, b.workerdCpuMs),
    wranglerNodeCpuMs: mean(a.wranglerNodeCpuMs, b.wranglerNodeCpuMs),
    errorKinds: {
      connection: a.errorKinds.connection + b.errorKinds.connection,
      timeouts: a.errorKinds.timeouts + b.errorKinds.timeouts,
      non2xx: a.errorKinds.non2xx + b.errorKinds.non2xx,
      wrongBody: a.errorKinds.wrongBody + b.errorKinds.wrongBody,
    },
    peakRssMiB: Math.max(a.peakRssMiB, b.peakRssMiB),
    measured: { before: a, after: b },
  };
}
