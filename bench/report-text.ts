// The bench run as text: each table built once, printed aligned on stdout and as Markdown in
// bench/results/latest.md (the README's performance section quotes it).
import { msPerMsOfDelay } from "./edge-model";
import type { BenchResult } from "./report";

interface Table {
  header: string[];
  rows: Array<Array<string | number>>;
}

const fmt = (n: number | null | undefined, digits = 0) =>
  n === null || n === undefined ? "–" : n.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits });

function httpTable(result: BenchResult): Table {
  const rows: Table["rows"] = [];
  for (const s of result.http) {
    if (s.unavailable) rows.push([s.name, "–", `unavailable: ${s.unavailable}`, "", "", "", "", "", "", ""]);
    for (const r of s.runs)
      rows.push([
        s.name,
        r.connections,
        fmt(r.rps),
        fmt(r.ratio, 2),
        fmt(r.p50, 2),
        fmt(r.p99, 2),
        r.errors,
        fmt(r.d1Trips, 2),
        fmt(r.workerdCpuMs, 2),
        fmt(r.peakRssMiB),
      ]);
  }
  return {
    header: ["scenario", "conns", "req/s", "× ceiling", "p50 ms", "p99 ms", "errors", "D1 trips", "workerd CPU ms/req", "RSS MiB"],
    rows,
  };
}

function roundTripTable(result: BenchResult): Table {
  return {
    header: ["route", "case", "D1 round trips", "near reads (a copy in the data center)"],
    rows: result.roundTrips.map((r) => [r.route, r.case, fmt(r.trips), r.near]),
  };
}

function edgeTable(result: BenchResult): Table {
  const { delaysMs, rows } = result.edge;
  return {
    header: ["route (1 connection)", "D1 trips", ...delaysMs.map((d) => `p50 ms, +${d} ms`), "ms per ms of delay"],
    rows: rows.map((r) => {
      const slope = msPerMsOfDelay(r, delaysMs);
      const trips = r.trips.filter((t): t is number => t !== null);
      const [low, high] = [Math.min(...trips), Math.max(...trips)];
      return [r.name, low === high ? fmt(low, 2) : `${fmt(low, 2)}–${fmt(high, 2)}`, ...r.p50.map((p) => fmt(p, 1)), fmt(slope, 2)];
    }),
  };
}

function importTable(result: BenchResult): Table {
  const run = result.importRun;
  return {
    header: ["rows", "seconds", "rows/s", "peak RSS of the import (MiB)"],
    rows: run ? [[run.rows.toLocaleString("en"), fmt(run.seconds, 1), fmt(run.rows / run.seconds), fmt(run.peakRssMb)]] : [],
  };
}

function memoryTable(result: BenchResult): Table {
  const m = result.memoryPerRequest;
  const row = (label: string, run: typeof m.baseline, versus: string) => [
    label,
    fmt(run.rssMiB[0]),
    fmt(run.rssMiB[Math.floor(run.rssMiB.length / 2)]),
    fmt(run.rssMiB.at(-1)),
    fmt(run.kibPerRequest, 1),
    versus,
  ];
  return {
    header: [
      "workerd RSS, fresh wrangler dev",
      "start MiB",
      `after ${fmt(m.requests / 2)}`,
      `after ${fmt(m.requests)}`,
      "KiB per request",
      "ours − baseline",
    ],
    rows: [
      row(m.baseline.name, m.baseline, "–"),
      row(`ours: ${m.ours.name}`, m.ours, fmt(m.ours.kibPerRequest - m.baseline.kibPerRequest, 1)),
    ],
  };
}

function microTable(result: BenchResult): Table {
  return { header: ["micro benchmark (Node, one process)", "ops/s"], rows: (result.micro ?? []).map((mb) => [mb.name, fmt(mb.opsPerSec)]) };
}

function floodTable(result: BenchResult): Table {
  return {
    header: ["flood", "p50 ms", "p99 ms", "req/s", "× p50 alone", "flood req/s", "flood answered 429"],
    rows: result.flood.rows.map((r) => [
      r.flood,
      fmt(r.legit.p50, 2),
      fmt(r.legit.p99, 2),
      fmt(r.legit.rps),
      fmt(r.p50Ratio, 2),
      fmt(r.floodRps),
      r.flood429 === null ? "–" : `${Math.round(r.flood429 * 100)} %`,
    ]),
  };
}

function targetTable(result: BenchResult, met: (m: boolean | null) => string): Table {
  return { header: ["target", "measured", "met"], rows: result.targets.map((t) => [t.target, t.value, met(t.met)]) };
}

/** Left-aligned first column, the others right-aligned, each as wide as its widest cell. */
function aligned(table: Table): string {
  const all = [table.header, ...table.rows].map((row) => row.map(String));
  const widths = table.header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? "").length)));
  return all.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")).join("\n");
}

function markdownTable(table: Table): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(" | ")} |`;
  return [line(table.header), line(table.header.map((_, i) => (i === 0 ? "---" : "--:"))), ...table.rows.map(line)].join("\n");
}

function describeRun(result: BenchResult): string {
  const m = result.machine;
  const o = result.options;
  return (
    `Measured ${m.date.slice(0, 10)} on ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}; ` +
    `wrangler dev (workerd, local D1) with ${o.users.toLocaleString("en")} users, ${o.seconds} s autocannon runs (listusers: a fixed count of requests, ${o.quick ? "1 per connection, at least 5" : "2 per connection, at least 20"})` +
    `${o.quick ? " (--quick)" : ""}, wrangler's inspector proxy ${o.wranglerInspector ? "on" : "off"}; ${o.lockoutNote}.`
  );
}

/** The sections of the report, in order: a title, an optional note, and a table. */
function sections(result: BenchResult, met: (m: boolean | null) => string): Array<[string, string, Table]> {
  const e = result.edge;
  const mem = result.memoryPerRequest;
  return [
    [
      "HTTP",
      "D1 trips: the mean of the answers' Server-Timing. Ceiling: the mean of a run before and a run after the others at each connection count.",
      httpTable(result),
    ],
    [
      "D1 round trips per route",
      "One request per case, counted by the Worker and reported in its Server-Timing header.",
      roundTripTable(result),
    ],
    [
      "Edge model",
      `Our Worker with a fixed delay before every D1 round trip, ${e.connections} connection, ${e.seconds} s per route and delay; plot: edge-model.svg.`,
      edgeTable(result),
    ],
    [
      "Memory per request",
      `The same ${mem.requests.toLocaleString("en")} requests (one D1 round trip each) at ${mem.connections} connections to a minimal one-query Worker and to ours, each in a fresh wrangler dev.`,
      memoryTable(result),
    ],
    [
      "Flood",
      `validate with a legitimate key (wrong tokens, ${result.flood.connections} connections) beside a flood of wrong API keys (${result.flood.connections} connections).`,
      floodTable(result),
    ],
    [
      "Import",
      "npm run import of a generated CSV (SHA1/6/30, SHA256/8/60 and SHA512/6/30 users in turn) into a fresh local D1: checking, sealing and writing.",
      importTable(result),
    ],
    ["Micro benchmarks", "", microTable(result)],
    ["Targets", "", targetTable(result, met)],
  ];
}

export function printReport(result: BenchResult): void {
  const m = result.machine;
  const out = [`totp-edge bench: ${m.cpu}, ${m.cores} cores, Node ${m.node}, ${m.date}`, describeRun(result)];
  for (const [title, note, table] of sections(result, (met) => (met === null ? "–" : met ? "MET" : "NOT MET"))) {
    out.push("", `${title}${note ? `: ${note}` : ""}`, aligned(table));
  }
  if (result.serverErrors.count > 0)
    out.push("", `server logged ${result.serverErrors.count} error line(s), e.g. ${result.serverErrors.examples.join(" | ")}`);
  out.push("", `peak RSS of workerd: ${result.memory.peakRssMiB} MiB sampled VmRSS, ${result.memory.vmHwmMiB} MiB VmHWM`);
  console.log(out.join("\n"));
}

export function markdown(result: BenchResult): string {
  const out = [describeRun(result)];
  for (const [title, note, table] of sections(result, (met) => (met === null ? "–" : met ? "yes" : "**no**"))) {
    out.push("", `**${title}.**${note ? ` ${note}` : ""}`, "", markdownTable(table));
  }
  out.push("", `Peak RSS of workerd during the main run: ${result.memory.vmHwmMiB} MiB (VmHWM).`);
  return `${out.join("\n")}\n`;
}
