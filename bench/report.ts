// One bench run's results: ratios to the ceiling, the targets, and bench/results/latest.{json,md}
// with the edge model's plot (the text itself: report-text.ts).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type EdgeModelResult, msPerMsOfDelay } from "./edge-model";
import type { FloodResult } from "./flood";
import type { LoadResult } from "./load";
import type { Machine } from "./machine";
import type { ImportBenchResult } from "./import";
import type { MemoryPerRequest } from "./memory";
import type { MicroResult } from "./micro";
import { edgeModelSvg } from "./plot";
import { markdown } from "./report-text";
import type { RoundTripRow } from "./round-trips";
import type { MemoryReport } from "./rss";

/** One timed run of a scenario at one connection count. */
export interface HttpRun extends LoadResult {
  /** workerd's largest sampled RSS during the run. */
  peakRssMiB: number;
  /** For the ceiling: the two runs this one is the mean of. */
  measured?: { before: HttpRun; after: HttpRun };
}

export interface ScenarioRuns<Run extends HttpRun = HttpRun> {
  id: string;
  name: string;
  runs: Run[];
  /** Why the scenario was not run. */
  unavailable?: string;
}

/** A run with its requests/s over the ceiling's at the same connection count. */
export type RatedRun = HttpRun & { ratio: number | null };

export interface Target {
  target: string;
  value: string;
  /** null: measured for the record, with no target. */
  met: boolean | null;
}

/** Everything one bench run measured: latest.json. */
export interface BenchResult {
  machine: Machine;
  options: { quick: boolean; seconds: number; users: number; connections: number[]; wranglerInspector: boolean; lockoutNote: string };
  memory: MemoryReport;
  serverErrors: { count: number; examples: string[] };
  http: ScenarioRuns<RatedRun>[];
  flood: FloodResult;
  roundTrips: RoundTripRow[];
  edge: EdgeModelResult;
  memoryPerRequest: MemoryPerRequest;
  /** `npm run import` of generated users into a fresh local D1 (null with --no-import). */
  importRun: ImportBenchResult | null;
  micro: MicroResult[] | null;
  durationSeconds: number;
  targets: Target[];
}

/** Each run with its ratio to the ceiling's requests/s at the same connection count. */
export function withRatios(http: ScenarioRuns[]): ScenarioRuns<RatedRun>[] {
  const ceiling = new Map(http.find((s) => s.id === "healthz")?.runs.map((r) => [r.connections, r.rps]));
  return http.map((scenario) => ({
    ...scenario,
    runs: scenario.runs.map((run) => {
      const base = ceiling.get(run.connections);
      return { ...run, ratio: base ? Number((run.rps / base).toFixed(2)) : null };
    }),
  }));
}

/** The ratio to the ceiling of scenario `id` at 16 connections, as a target `atLeast`× (null: for the record). */
function ratioTarget(http: ScenarioRuns<RatedRun>[], id: string, target: string, atLeast: number | null): Target {
  const ratio = http.find((s) => s.id === id)?.runs.find((r) => r.connections === 16)?.ratio ?? null;
  return {
    target: atLeast === null ? target : `${target} ≥ ${atLeast} × ceiling req/s at 16 connections`,
    value: ratio === null ? "not measured" : `${ratio} ×`,
    met: atLeast === null ? null : ratio !== null && ratio >= atLeast,
  };
}

/** Our Worker's memory per request may exceed the baseline Worker's by this much (KiB). */
const MEMORY_OVER_BASELINE_KIB = 4;
/** At the edge, every validate path's latency may grow by this much per ms to the D1 primary: one round trip. */
const EDGE_MS_PER_MS = 1.1;

export function evaluateTargets(
  http: ScenarioRuns<RatedRun>[],
  micro: MicroResult[] | null,
  flood: FloodResult,
  edge: EdgeModelResult,
  memory: MemoryPerRequest,
): Target[] {
  const targets: Target[] = [];
  const oneAddress = flood.rows.find((r) => r.flood === "wrong keys, one address");
  targets.push({
    target: "a wrong-key flood from one address raises a legitimate validate's p50 ≤ 2×",
    value: oneAddress?.p50Ratio ? `${oneAddress.p50Ratio} ×` : "not measured",
    met: Boolean(oneAddress?.p50Ratio && oneAddress.p50Ratio <= 2),
  });
  targets.push(ratioTarget(http, "validate-failure-cached", "validate failure, the user's key cached (1 round trip)", 0.8));
  targets.push(ratioTarget(http, "validate-failure", "validate failure, first sight of the user, a copy near (1 round trip)", 0.8));
  targets.push(ratioTarget(http, "createuser", "createuser (1 round trip)", 0.8));
  targets.push(ratioTarget(http, "validate-success", "validate success (1 round trip, first sight with a copy near)", 0.5));
  for (const row of edge.rows.filter((r) => r.id.startsWith("validate"))) {
    const slope = msPerMsOfDelay(row, edge.delaysMs);
    targets.push({
      target: `edge model: ${row.name} grows ≤ ${EDGE_MS_PER_MS} ms per ms of distance to the D1 primary`,
      value: slope === null ? "not measured" : `${slope.toFixed(2)} ms/ms`,
      met: slope !== null && slope <= EDGE_MS_PER_MS,
    });
  }
  const overBaseline = memory.ours.kibPerRequest - memory.baseline.kibPerRequest;
  targets.push({
    target: `memory: ours grows ≤ ${MEMORY_OVER_BASELINE_KIB} KiB per request more than a one-query baseline Worker`,
    value: `+${overBaseline.toFixed(1)} KiB/request`,
    met: overBaseline <= MEMORY_OVER_BASELINE_KIB,
  });
  const ours = micro?.find((m) => m.name.startsWith("TOTP verify ±1, ours ("));
  const otpauth = micro?.find((m) => m.name.startsWith("TOTP verify ±1, otpauth"));
  const speedup = ours && otpauth ? Number((ours.opsPerSec / otpauth.opsPerSec).toFixed(1)) : null;
  targets.push({
    target: "our TOTP verify ≥ 1.5 × otpauth",
    value: speedup === null ? "not measured" : `${speedup} ×`,
    met: speedup !== null && speedup >= 1.5,
  });
  for (const scenario of http) {
    const run = scenario.runs.find((r) => r.connections === 64);
    if (!run || run.p50 === null || run.p99 === null) continue;
    const spread = Number((run.p99 / run.p50).toFixed(1));
    targets.push({ target: `p99 ≤ 5 × p50 at 64 connections: ${scenario.name}`, value: `${spread} ×`, met: spread <= 5 });
  }
  return targets;
}

export function writeResults(result: BenchResult, dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "latest.json"), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(path.join(dir, "latest.md"), markdown(result));
  writeFileSync(path.join(dir, "edge-model.svg"), edgeModelSvg(result.edge));
}
