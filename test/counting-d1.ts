import type { Env } from "../src/config";

/** Where a round trip went: the binding itself (D1's primary), or a Sessions API session opened with this constraint. */
export type Via = "primary" | D1SessionConstraint;

interface CountingOptions {
  /** false: a binding without the Sessions API (an older runtime), whose reads all go to the primary. */
  sessions?: boolean;
}

/**
 * A D1 binding that records its round trips (one per statement run, one per batch), sessions
 * included, and passes them on. Independent of the Worker's own counting (src/db/timed-d1.ts),
 * which `Server-Timing` reports and test/server-timing.test.ts compares with this.
 */
export function countingD1(
  env: Env,
  { sessions = true }: CountingOptions = {},
): { env: Env; roundTrips: () => number; trips: () => Via[] } {
  const trips: Via[] = [];
  const unwrapped = new WeakMap<object, D1PreparedStatement>();
  const wrap = (stmt: D1PreparedStatement, via: Via): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values), via);
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (["first", "all", "run", "raw"].includes(prop as string)) trips.push(via);
        return value.bind(target);
      },
    });
    unwrapped.set(proxy, stmt);
    return proxy;
  };
  const counted = <D extends D1Database | D1DatabaseSession>(real: D, via: Via): D =>
    new Proxy(real, {
      get(target, prop) {
        if (prop === "prepare") return (sql: string) => wrap(target.prepare(sql), via);
        if (prop === "batch") {
          return (stmts: D1PreparedStatement[]) => {
            trips.push(via);
            return target.batch(stmts.map((s) => unwrapped.get(s) ?? s));
          };
        }
        if (prop === "withSession") {
          if (!sessions) return undefined;
          return (constraint: D1SessionConstraint) => counted((target as D1Database).withSession(constraint), constraint);
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  return { env: { ...env, DB: counted(env.DB, "primary") }, roundTrips: () => trips.length, trips: () => [...trips] };
}
