// The flood scenario (SECURITY.md, "Anonymous floods"): a legitimate client's validate latency
// alone, then while a second client floods wrong API keys from one address (which the
// KEY_REFUSALS limit blocks), then from a new address per request (which no per-address limit
// can stop: the residual cost of a distributed flood, for the record).
import { runLoad } from "./load.mjs";

/** Wrong, never-repeating API keys; `spread` gives every request its own client address. */
function wrongKeyFlood({ spread }) {
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

/**
 * @param {string} url
 * @param {object} options
 * @param {{ nextPath: () => string, verifyBody: (b: string) => boolean }} options.legit the legitimate stream
 * @param {number} options.seconds
 * @param {number} options.connections of the legitimate client and of the flooder each
 */
export async function runFlood(url, { legit, seconds, connections }) {
  const alone = await runLoad({ url, connections, seconds, ...legit });
  const rows = [{ flood: "none", legit: alone, flood429: null, floodRps: null }];
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
    });
  }
  for (const row of rows) row.p50Ratio = alone.p50 && row.legit.p50 ? Number((row.legit.p50 / alone.p50).toFixed(2)) : null;
  return { connections, rows };
}
