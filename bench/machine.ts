// The machine a result was measured on, for the README table.
import { readFileSync } from "node:fs";
import os from "node:os";

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  /** ISO 8601, when the run started. */
  date: string;
}

export function describeMachine(): Machine {
  let cpu = os.cpus()[0]?.model ?? "unknown";
  try {
    const match = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.+)$/m);
    if (match?.[1]) cpu = match[1].trim();
  } catch {
    // not Linux: os.cpus() is the next best
  }
  return {
    cpu,
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    date: new Date().toISOString(),
  };
}
