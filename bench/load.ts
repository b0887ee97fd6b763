// One autocannon run with our own latency record: autocannon's histogram keeps whole
// milliseconds, too coarse for sub-millisecond local answers, so every response time is kept here.
import autocannon from "autocannon";
import type { CpuMeter } from "./rss";

/** A stream of requests: nextPath (and nextHeaders) are called once per request, at send time. */
export interface Scenario {
  name: string;
  /** The path (with query) of each request. */
  nextPath: () => string;
  /** Extra headers of each request. */
  nextHeaders?: () => Record<string, string>;
  /** Whether a 200 answer is the expected one. */
  verifyBody: (body: string) => boolean;
}

interface LoadOptions extends Scenario {
  /** Server origin. */
  url: string;
  connections: number;
  /** Run length, unless `amount` is given. */
  seconds?: number;
  /** Run until this many requests were answered instead. */
  amount?: number | undefined;
  /** The server's CPU meter; without it the CPU figures are null. */
  cpu?: CpuMeter;
}

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  /** Milliseconds, null when nothing was answered. */
  p50: number | null;
  p99: number | null;
  errors: number;
  /** D1 round trips per answer, the mean of what each answer's Server-Timing said; null without it. */
  d1Trips: number | null;
  /** Server CPU ms per answered request: robust to other load on the machine, unlike req/s. */
  workerdCpuMs: number | null;
  wranglerNodeCpuMs: number | null;
  errorKinds: { connection: number; timeouts: number; non2xx: number; wrongBody: number };
}

export async function runLoad({
  url,
  connections,
  seconds,
  amount,
  nextPath,
  nextHeaders,
  verifyBody,
  cpu,
}: LoadOptions): Promise<LoadResult> {
  const times: number[] = [];
  const trips = { answers: 0, total: 0 };
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
        setupRequest: (request) => ({
          ...request,
          path: nextPath(),
          ...(nextHeaders && { headers: { ...request.headers, ...nextHeaders() } }),
        }),
        onResponse: (_status, _body, _context, headers) => {
          const count = roundTripsOf(headers);
          if (count === null) return;
          trips.answers++;
          trips.total += count;
        },
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
    d1Trips: trips.answers ? Number((trips.total / trips.answers).toFixed(2)) : null,
    workerdCpuMs: used && answered ? Number((used.workerdMs / answered).toFixed(2)) : null,
    wranglerNodeCpuMs: used && answered ? Number((used.nodeMs / answered).toFixed(2)) : null,
    errorKinds: {
      connection: result.errors - result.timeouts,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      wrongBody: result.mismatches,
    },
  };
}

/** The D1 round trips an answer's Server-Timing reports (`d1;dur=…;desc="N round trips"`), or null. */
export function roundTripsOf(headers: Record<string, string | string[]>): number | null {
  const match = /\bd1;[^,]*desc="(\d+) round trips?"/.exec(serverTimingOf(headers));
  return match ? Number(match[1]) : null;
}

/** The reads of a copy near the Worker (Cache API) that the answer's Server-Timing reports: no trip to D1. */
export function nearReadsOf(headers: Record<string, string | string[]>): number {
  const match = /\bcopy;[^,]*desc="(\d+) near reads?"/.exec(serverTimingOf(headers));
  return match ? Number(match[1]) : 0;
}

function serverTimingOf(headers: Record<string, string | string[]>): string {
  const name = Object.keys(headers).find((key) => key.toLowerCase() === "server-timing");
  const value = name === undefined ? undefined : headers[name];
  return Array.isArray(value) ? value.join(",") : (value ?? "");
}

/** Nearest-rank percentile in ms, two decimals. */
function percentile(sorted: readonly number[], q: number): number | null {
  const value = sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return value === undefined ? null : Number(value.toFixed(2));
}
