// The flood scenario (SECURITY.md, "Anonymous floods"): a legitimate client's validate latency
// alone, then while a second client floods wrong API keys from one address (which the
// KEY_REFUSALS limit blocks), then from a new address per request (which no per-address limit
// can stop: the residual cost of a distributed flood, for the record).
import { runLoad, type LoadResult, type Scenario } from "./load";

interface FloodOptions {
  /** The legitimate client's stream. */
  legit: Scenario;
  seconds: number;
  /** Of the legitimate client and of the flooder each. */
  connections: number;
}

interface FloodRow {
  /** Which flood ran beside the legitimate client ("none" for the run alone). */
  flood: string;
  legit: LoadResult;
  /** The share of flood requests answered 429, 3 decimals. */
  flood429: number | null;
  floodRps: number | null;
  /** The legitimate p50 over its p50 alone. */
  p50Ratio: number | null;
}

export interface FloodResult {
  connections: number;
  rows: FloodRow[];
}

/** Wrong, never-repeating API keys; `spread` gives every request its own client address. */
function wrongKeyFlood({ spread }: { spread: boolean }): Scenario {
  let n = 0;
  return {
    name: spread ? "wrong keys, a new address per request" : "wrong keys, one address",
    nextPath: () => `/validate?api_key=flood${Date.now().toString(36)}x${n++}&userid=1&token=123456&format=1`,
    // Documentation addresses (RFC 5737): wrangler dev passes CF-Connecting-IP through, the edge sets it.
    nextHeaders: () => ({ "CF-Connecting-IP": spread ? `198.51.100.${n % 250}.${Math.floor(n / 250)}` : "198.51.100.7" }),
    // 200 with code 1, or 429 (counted as non-2xx): both are refusals.
    verifyBody: (b) => b.includes('"code":1') || b === "Too Many Requests",
  };
}

export async function runFlood(url: string, { legit, seconds, connections }: FloodOptions): Promise<FloodResult> {
  const alone = await runLoad({ url, connections, seconds, ...legit });
  const ratio = (during: LoadResult) => (alone.p50 && during.p50 ? Number((during.p50 / alone.p50).toFixed(2)) : null);
  const rows: FloodRow[] = [{ flood: "none", legit: alone, flood429: null, floodRps: null, p50Ratio: ratio(alone) }];
  for (const spread of [false, true]) {
    const flood = wrongKeyFlood({ spread });
    const [during, flooded] = await Promise.all([
      runLoad({ url, connections, seconds, ...legit }),
      runLoad({ url, connections, seconds, ...flood }),
    ]);
    rows.push({
      flood: flood.name,
      legit: during,
      floodRps: flooded.rps,
      flood429: flooded.requests ? Number((flooded.errorKinds.non2xx / flooded.requests).toFixed(3)) : null,
      p50Ratio: ratio(during),
    });
  }
  return { connections, rows };
}
