// Turns one bench run into the stdout table, bench/results/latest.json and latest.md.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { FloodResult } from "./flood";
import type { LoadResult } from "./load";
import type { Machine } from "./machine";
import type { MicroResult } from "./micro";
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
type RatedRun = HttpRun & { ratio: number | null };

interface Target {
  target: string;
  value: string;
  met: boolean;
}

/** Everything one bench run measured: latest.json. */
export interface BenchResult {
  machine: Machine;
  options: { quick: boolean; seconds: number; users: number; connections: number[]; wranglerInspector: boolean; lockoutNote: string };
  memory: MemoryReport;
  serverErrors: { count: number; examples: string[] };
  http: ScenarioRuns<RatedRun>[];
  flood: FloodResult;
  micro: MicroResult[] | null;
  durationSeconds: number;
  targets: Target[];
}

const fmt = (n: number | null | undefined, digits = 0) =>
  n === null || n === undefined ? "–" : n.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits });

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

export function evaluateTargets(http: ScenarioRuns<RatedRun>[], micro: MicroResult[] | null, flood: FloodResult): Target[] {
  const targets: Target[] = [];
  const oneAddress = flood.rows.find((r) => r.flood === "wrong keys, one address");
  targets.push({
    target: "a wrong-key flood from one address raises a legitimate validate's p50 ≤ 2×",
    value: oneAddress?.p50Ratio ? `${oneAddress.p50Ratio} ×` : "not measured",
    met: Boolean(oneAddress?.p50Ratio && oneAddress.p50Ratio <= 2),
  });
  const failure16 = http.find((s) => s.id === "validate-failure")?.runs.find((r) => r.connections === 16);
  targets.push({
    target: "validate failure path, first sight of the user (2 round trips) ≥ 0.7 × ceiling req/s at 16 connections",
    value: failure16 ? `${failure16.ratio} ×` : "not measured",
    met: (failure16?.ratio ?? 0) >= 0.7,
  });
  const cached16 = http.find((s) => s.id === "validate-failure-cached")?.runs.find((r) => r.connections === 16);
  targets.push({
    target: "validate failure path, user's key cached in the isolate (1 round trip) ≥ 0.7 × ceiling at 16 connections",
    value: cached16 ? `${cached16.ratio} ×` : "not measured",
    met: (cached16?.ratio ?? 0) >= 0.7,
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

export function printReport(result: BenchResult): void {
  const lines: string[] = [];
  const m = result.machine;
  lines.push(`totp-edge bench: ${m.cpu}, ${m.cores} cores, Node ${m.node}, ${m.date}`);
  lines.push(
    `HTTP: wrangler dev (workerd, local D1), ${result.options.users.toLocaleString("en")} users, ${result.options.seconds} s per run (listusers: a fixed count of requests, ${result.options.quick ? "1 per connection, at least 5" : "2 per connection, at least 20"}), autocannon in the bench process; ${result.options.lockoutNote}`,
  );
  lines.push("");
  const widths = [34, 6, 9, 10, 9, 9, 7, 11, 12, 9];
  lines.push(
    row(["scenario", "conns", "req/s", "× ceiling", "p50 ms", "p99 ms", "errors", "workerd ms", "wrangler ms", "RSS MiB"], widths),
  );
  for (const s of result.http) {
    if (s.unavailable) {
      lines.push(`${s.name.padEnd(34)} unavailable: ${s.unavailable}`);
      continue;
    }
    for (const r of s.runs)
      lines.push(
        row(
          [
            s.name,
            r.connections,
            fmt(r.rps),
            fmt(r.ratio, 2),
            fmt(r.p50, 2),
            fmt(r.p99, 2),
            r.errors,
            fmt(r.workerdCpuMs, 2),
            fmt(r.wranglerNodeCpuMs, 2),
            fmt(r.peakRssMiB),
          ],
          widths,
        ),
      );
  }
  lines.push(
    "workerd ms / wrangler ms: server CPU per answered request (workerd processes / wrangler's Node process); RSS: workerd's peak during the run",
  );
  lines.push("ceiling: the mean of a run before and a run after the validate/listusers runs at each connection count");
  lines.push(
    `wrangler's inspector proxy: ${result.options.wranglerInspector ? "on (--with-inspector)" : "off (as at the edge; --with-inspector to keep it)"}`,
  );
  lines.push("");
  const fw = [40, 8, 10, 10, 12, 12, 10];
  lines.push(
    `flood: validate with a legitimate key (wrong tokens, ${result.flood.connections} connections) beside a flood of wrong API keys (${result.flood.connections} connections)`,
  );
  lines.push(row(["flood", "p50 ms", "p99 ms", "req/s", "× p50 alone", "flood req/s", "flood 429"], fw));
  for (const r of result.flood.rows) {
    lines.push(
      row(
        [
          r.flood,
          fmt(r.legit.p50, 2),
          fmt(r.legit.p99, 2),
          fmt(r.legit.rps),
          fmt(r.p50Ratio, 2),
          fmt(r.floodRps),
          r.flood429 === null ? "–" : `${Math.round(r.flood429 * 100)} %`,
        ],
        fw,
      ),
    );
  }
  lines.push("");
  if (result.serverErrors.count > 0)
    lines.push(`server logged ${result.serverErrors.count} error line(s), e.g. ${result.serverErrors.examples.join(" | ")}`);
  lines.push(
    `peak RSS of workerd: ${result.memory.peakRssMiB} MiB sampled VmRSS, ${result.memory.vmHwmMiB} MiB VmHWM (${result.memory.processes} process(es), ${result.memory.samples} samples)`,
  );
  lines.push("");
  lines.push(row(["micro (this process, Node)", "ops/s", "±%"], [56, 12, 6]));
  for (const mb of result.micro ?? []) lines.push(row([mb.name, fmt(mb.opsPerSec), mb.rme], [56, 12, 6]));
  lines.push("");
  for (const t of result.targets) lines.push(`${t.met ? "MET    " : "NOT MET"} ${t.target}: ${t.value}`);
  console.log(lines.join("\n"));
}

function row(cells: ReadonlyArray<string | number>, widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i] ?? 0) : String(c).padStart(widths[i] ?? 0))).join(" ");
}

export function writeResults(result: BenchResult, dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "latest.json"), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(path.join(dir, "latest.md"), markdown(result));
}

function markdown(result: BenchResult): string {
  const m = result.machine;
  const out: string[] = [];
  out.push(
    `Measured ${m.date.slice(0, 10)} on ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}; ` +
      `wrangler dev (workerd, local D1) with ${result.options.users.toLocaleString("en")} users, ${result.options.seconds} s autocannon runs (listusers: a fixed count of requests, ${result.options.quick ? "1 per connection, at least 5" : "2 per connection, at least 20"})` +
      `${result.options.quick ? " (--quick)" : ""}, wrangler's inspector proxy ${result.options.wranglerInspector ? "on" : "off"}; ${result.options.lockoutNote}.`,
  );
  out.push("");
  out.push("| scenario | conns | req/s | × ceiling | p50 ms | p99 ms | errors | workerd CPU ms/req |");
  out.push("|---|--:|--:|--:|--:|--:|--:|--:|");
  for (const s of result.http) {
    if (s.unavailable) {
      out.push(`| ${s.name} | – | unavailable | | | | | |`);
      continue;
    }
    for (const r of s.runs)
      out.push(
        `| ${s.name} | ${r.connections} | ${fmt(r.rps)} | ${fmt(r.ratio, 2)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${r.errors} | ${fmt(r.workerdCpuMs, 2)} |`,
      );
  }
  out.push("");
  out.push(
    `Flood: validate with a legitimate key (wrong tokens, ${result.flood.connections} connections) beside a flood of wrong API keys (${result.flood.connections} connections).`,
  );
  out.push("");
  out.push("| flood | p50 ms | p99 ms | req/s | × p50 alone | flood req/s | flood answered 429 |");
  out.push("|---|--:|--:|--:|--:|--:|--:|");
  for (const r of result.flood.rows) {
    out.push(
      `| ${r.flood} | ${fmt(r.legit.p50, 2)} | ${fmt(r.legit.p99, 2)} | ${fmt(r.legit.rps)} | ${fmt(r.p50Ratio, 2)} | ${fmt(r.floodRps)} | ${r.flood429 === null ? "–" : `${Math.round(r.flood429 * 100)} %`} |`,
    );
  }
  out.push("");
  out.push(`Peak RSS of workerd during the run: ${result.memory.vmHwmMiB} MiB (VmHWM).`);
  out.push("");
  out.push("| micro benchmark (Node, one process) | ops/s |");
  out.push("|---|--:|");
  for (const mb of result.micro ?? []) out.push(`| ${mb.name} | ${fmt(mb.opsPerSec)} |`);
  out.push("");
  out.push("| target | measured | met |");
  out.push("|---|--:|---|");
  for (const t of result.targets) out.push(`| ${t.target} | ${t.value} | ${t.met ? "yes" : "**no**"} |`);
  return `${out.join("\n")}\n`;
}
