import type { RoundTrips } from "../db/timed-d1";

/**
 * The `Server-Timing` value of an answer (W3C Server Timing): the request's D1 round trips and
 * their summed time, e.g. `d1;dur=3.1;desc="2 round trips"`, and the reads of copies near the Worker. Counts and durations only: nothing
 * of the request or the data. Browsers show it in their developer tools; the benchmark reads it.
 */
export function serverTiming(trips: RoundTrips): string {
  const d1 = `d1;dur=${trips.ms.toFixed(1)};desc="${trips.count} round trip${trips.count === 1 ? "" : "s"}"`;
  // Reads of a copy in the data center (src/db/user-copies.ts), apart: they never leave it.
  return trips.near === 0 ? d1 : `${d1}, copy;dur=${trips.nearMs.toFixed(1)};desc="${trips.near} near read${trips.near === 1 ? "" : "s"}"`;
}
