// Memory per request: wrangler dev's workerd grows by roughly 20 KB per request even for a
// minimal one-query Worker, so a peak RSS says more about the local runtime than about us. The
// same number of requests, each with one D1 round trip, to a baseline Worker
// (bench/workers/baseline.ts) and to ours, each in a fresh wrangler dev, tells the two apart.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runLoad, type Scenario } from "./load";
import { workerdRssMiB } from "./rss";
import { startLocalServer } from "../scripts/lib/local-server";
import type { BaselineAnswer } from "./workers/baseline";

interface MemoryRun {
  name: string;
  /** workerd's RSS once the Worker answered its first request, and every `step` requests after that, MiB. */
  rssMiB: number[];
  kibPerRequest: number;
}

export interface MemoryPerRequest {
  requests: number;
  step: number;
  connections: number;
  baseline: MemoryRun;
  ours: MemoryRun;
}

interface MemoryOptions {
  /** The seeded D1 state (its server stopped). */
  persistTo: string;
  vars: Record<string, string>;
  /** Our stream: wrong tokens for users whose keys the first `count` requests cache (1 round trip each after that). */
  ours: { scenario: Scenario; count: number };
  requests: number;
  log: (message: string) => void;
}

const CONNECTIONS = 16;
const STEPS = 12;

export async function measureMemory({ persistTo, vars, ours, requests, log }: MemoryOptions): Promise<MemoryPerRequest> {
  log(`memory: ${requests.toLocaleString("en")} requests to a one-query baseline Worker, then to ours, each in a fresh wrangler dev`);
  const step = Math.round(requests / STEPS);
  const one: Scenario = {
    name: "baseline Worker (one D1 query)",
    nextPath: () => "/",
    verifyBody: (b) => (JSON.parse(b) as BaselineAnswer).one === 1,
  };
  const empty = mkdtempSync(path.join(tmpdir(), "totp-edge-baseline-"));
  try {
    return {
      requests: step * STEPS,
      step,
      connections: CONNECTIONS,
      baseline: await measure("bench/workers/baseline.ts", empty, {}, one, step),
      ours: await measure("src/index.ts", persistTo, vars, ours.scenario, step),
    };
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
}

/** RSS of a fresh server after its first answer, then after each `step` requests of `scenario`. */
async function measure(
  script: string,
  persistTo: string,
  vars: Record<string, string>,
  scenario: Scenario,
  step: number,
): Promise<MemoryRun> {
  const server = await startLocalServer({ script, persistTo, vars });
  try {
    const rssMiB = [workerdRssMiB(server.pid)];
    for (let i = 0; i < STEPS; i++) {
      const load = await runLoad({ url: server.url, connections: CONNECTIONS, amount: step, ...scenario });
      if (load.errors > 0) throw new Error(`memory, ${scenario.name}: ${load.errors} wrong answers`);
      rssMiB.push(workerdRssMiB(server.pid));
    }
    const grownKiB = (rssMiB[STEPS]! - rssMiB[0]!) * 1024;
    return { name: scenario.name, rssMiB, kibPerRequest: Number((grownKiB / (step * STEPS)).toFixed(1)) };
  } finally {
    await server.stop();
  }
}
