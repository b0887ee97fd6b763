// One autocannon run with our own latency record: autocannon's histogram keeps whole
// milliseconds, too coarse for sub-millisecond local answers, so every response time is kept here.
import autocannon from "autocannon";

/**
 * @param {object} options
 * @param {string} options.url server origin
 * @param {number} options.connections
 * @param {number} [options.seconds] run length, unless `amount` is given
 * @param {number} [options.amount] run until this many requests were answered instead
 * @param {() => string} options.nextPath the path (with query) of each request
 * @param {() => Record<string, string>} [options.nextHeaders] extra headers of each request
 * @param {(body: string) => boolean} options.verifyBody whether a 200 answer is the expected one
 * @param {{ start(): () => { workerdMs: number, nodeMs: number } }} [options.cpu] server CPU meter
 */
export async function runLoad({ url, connections, seconds, amount, nextPath, nextHeaders, verifyBody, cpu }) {
  const times = [];
  const stopCpu = cpu?.start();
  const started = process.hrtime.bigint();
  const instance = autocannon({
    url,
    connections,
    ...(amount ? { amount } : { duration: seconds }),
    pipelining: 1,
    timeout: 30,
    requests: [
      {
        method: "GET",
        setupRequest: (request) => ({ ...request, path: nextPath(), ...(nextHeaders && { headers: { ...request.headers, ...nextHeaders() } }) }),
      },
    ],
    verifyBody,
  });
  instance.on("response", (_client, _status, _bytes, responseTime) => times.push(responseTime));
  const result = await instance;
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const used = stopCpu?.();
  times.sort((a, b) => a - b);
  const answered = times.length;
  return {
    connections,
    seconds: Number(elapsed.toFixed(2)),
    requests: answered,
    rps: Math.round(answered / elapsed),
    p50: percentile(times, 0.5),
    p99: percentile(times, 0.99),
    errors: result.errors + result.non2xx + result.mismatches,
    // Server CPU per answered request: robust to other load on the machine, unlike req/s.
    workerdCpuMs: used && answered ? Number((used.workerdMs / answered).toFixed(2)) : null,
    wranglerNodeCpuMs: used && answered ? Number((used.nodeMs / answered).toFixed(2)) : null,
    errorKinds: { connection: result.errors - result.timeouts, timeouts: result.timeouts, non2xx: result.non2xx, wrongBody: result.mismatches },
  };
}

/** Nearest-rank percentile in ms, two decimals. */
function percentile(sorted, q) {
  if (sorted.length === 0) return null;
  const value = sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return Number(value.toFixed(2));
}
