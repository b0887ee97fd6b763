// The edge model: our Worker with a fixed delay added to every D1 round trip (bench/workers/
// edge-model.ts), at 0, 20 and 50 ms, one connection, so that p50 ≈ CPU + round trips × delay
// and the cost of each round trip shows.
import { runLoad, type Scenario } from "./load";
import type { BenchScenarios } from "./scenarios";
import { startLocalServer } from "../scripts/lib/local-server";
import type { EdgeModelVars } from "./workers/edge-model";

const EDGE_DELAYS_MS = [0, 20, 50];

export interface EdgeRow {
  id: string;
  name: string;
  /** Round trips per answer (Server-Timing), at each delay. */
  trips: Array<number | null>;
  /** p50 ms at each delay of EDGE_DELAYS_MS. */
  p50: Array<number | null>;
}

/** How much a route's p50 grows per ms added to each D1 round trip: about its round trips to D1. */
export function msPerMsOfDelay(row: EdgeRow, delaysMs: readonly number[]): number | null {
  const first = row.p50[0];
  const end = row.p50[delaysMs.length - 1];
  return first != null && end != null ? (end - first) / (delaysMs.at(-1)! - delaysMs[0]!) : null;
}

export interface EdgeModelResult {
  delaysMs: number[];
  connections: number;
  seconds: number;
  rows: EdgeRow[];
}

interface EdgeModelOptions {
  /** The seeded D1 state of the main run (its server stopped). */
  persistTo: string;
  vars: Record<string, string>;
  scenarios: BenchScenarios;
  /** Wrong tokens for a few users, warmed up (one request each) before each delay's runs: their keys are then cached. */
  cachedUsers: { scenario: Scenario; count: number };
  seconds: number;
  log: (message: string) => void;
}

export async function runEdgeModel({ persistTo, vars, scenarios, cachedUsers, seconds, log }: EdgeModelOptions): Promise<EdgeModelResult> {
  const streams: Array<[string, Scenario]> = [
    ["healthz", scenarios.healthz],
    ["validate-failure", scenarios.failure],
    ["validate-failure-cached", cachedUsers.scenario],
    ["validate-success", scenarios.success],
    ["createuser", scenarios.createUser],
    ["qr", scenarios.qr],
  ];
  const rows: EdgeRow[] = streams.map(([id, s]) => ({ id, name: s.name, trips: [], p50: [] }));
  for (const delay of EDGE_DELAYS_MS) {
    const edgeVars: Required<EdgeModelVars> = { BENCH_D1_DELAY_MS: String(delay) };
    log(`edge model: ${delay} ms per D1 round trip, 1 connection, ${seconds} s per route`);
    const server = await startLocalServer({ script: "bench/workers/edge-model.ts", persistTo, vars: { ...vars, ...edgeVars } });
    try {
      await runLoad({ url: server.url, connections: 1, amount: cachedUsers.count, ...cachedUsers.scenario });
      for (const [i, [, scenario]] of streams.entries()) {
        const load = await runLoad({ url: server.url, connections: 1, seconds, ...scenario });
        if (load.errors > 0) throw new Error(`edge model, ${scenario.name} at ${delay} ms: ${load.errors} wrong answers`);
        rows[i]!.trips.push(load.d1Trips);
        rows[i]!.p50.push(load.p50);
      }
    } finally {
      await server.stop();
    }
  }
  return { delaysMs: EDGE_DELAYS_MS, connections: 1, seconds, rows };
}
