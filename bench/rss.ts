// Peak memory of the workerd processes behind a wrangler dev process group, read from /proc.
import { readdirSync, readFileSync } from "node:fs";

/** CPU used by the server since `start()`, in ms, split into workerd and wrangler's Node process. */
export interface CpuMeter {
  start(): () => { workerdMs: number; nodeMs: number };
}

export interface MemorySampler {
  /** The largest sampled VmRSS total since the previous call, in MiB: one run's peak. */
  takeWindowPeak(): number;
  stop(): MemoryReport;
}

export interface MemoryReport {
  processes: number;
  samples: number;
  peakRssMiB: number;
  vmHwmMiB: number;
}

interface GroupProcess {
  pid: number;
  workerd: boolean;
}

function statusOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return null; // exited between listing and reading
  }
}

function kib(status: string, field: string): number {
  const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  return match ? Number(match[1]) : 0;
}

/** CPU time (user + system) a process has used so far, in ms; 0 once it is gone. */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK); the kernel ABI fixes it. */
const CLOCK_TICKS = 100;

/**
 * CPU used by the server's processes over a stretch of time: workerd (the Worker, D1, and
 * wrangler's proxy worker) and Node (wrangler's own process: dev tooling that does not exist at the edge).
 */
export function cpuMeter(groupId: number): CpuMeter {
  const read = () => new Map(groupPids(groupId).map((p) => [p.pid, { workerd: p.workerd, ms: cpuMs(p.pid) }]));
  return {
    start() {
      const before = read();
      return () => {
        const totals = { workerdMs: 0, nodeMs: 0 };
        // Per process: one that exited during the run has lost its counters (its CPU is not
        // counted), one that started during it counts from zero.
        for (const [pid, now] of read()) {
          const used = now.ms - (before.get(pid)?.ms ?? 0);
          if (used > 0) totals[now.workerd ? "workerdMs" : "nodeMs"] += used;
        }
        return totals;
      };
    },
  };
}

/** The processes of a process group, marked whether they are workerd. */
function groupPids(groupId: number): GroupProcess[] {
  const pids: GroupProcess[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    // comm is in parentheses and may contain spaces; the fields after it are space-separated.
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
    if (pgrp === groupId) pids.push({ pid: Number(entry), workerd: comm.startsWith("workerd") });
  }
  return pids;
}

/** The workerd processes whose process group is `groupId` (wrangler is spawned detached, as its own group leader). */
function workerdPids(groupId: number): number[] {
  return groupPids(groupId)
    .filter((p) => p.workerd)
    .map((p) => p.pid);
}

/** The resident memory of a wrangler dev's workerd processes now, in MiB. */
export function workerdRssMiB(groupId: number): number {
  let kibTotal = 0;
  for (const pid of workerdPids(groupId)) {
    const status = statusOf(pid);
    if (status) kibTotal += kib(status, "VmRSS");
  }
  return round(kibTotal / 1024);
}

/**
 * Samples every `intervalMs`: the largest VmRSS seen (sum over workerd processes) and each
 * process's VmHWM (the kernel's own high-water mark, which catches peaks between samples).
 */
export function sampleWorkerdMemory(groupId: number, intervalMs = 250): MemorySampler {
  const hwm = new Map<number, number>();
  let peakRssKiB = 0;
  let windowPeakKiB = 0;
  let samples = 0;
  const sample = () => {
    let total = 0;
    for (const pid of workerdPids(groupId)) {
      const status = statusOf(pid);
      if (!status) continue;
      total += kib(status, "VmRSS");
      hwm.set(pid, Math.max(hwm.get(pid) ?? 0, kib(status, "VmHWM")));
    }
    peakRssKiB = Math.max(peakRssKiB, total);
    windowPeakKiB = Math.max(windowPeakKiB, total);
    samples++;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    takeWindowPeak() {
      sample();
      const peak = windowPeakKiB;
      windowPeakKiB = 0;
      return round(peak / 1024);
    },
    stop() {
      clearInterval(timer);
      sample();
      const hwmKiB = [...hwm.values()].reduce((a, b) => a + b, 0);
      return { processes: hwm.size, samples, peakRssMiB: round(peakRssKiB / 1024), vmHwmMiB: round(hwmKiB / 1024) };
    },
  };
}

const round = (x: number) => Math.round(x * 10) / 10;
