import type { Env } from "../src/config";

/** A D1 binding that counts round trips (one per statement run, one per batch) and passes them on. */
export function countingD1(env: Env): { env: Env; roundTrips: () => number } {
  let count = 0;
  const real = env.DB;
  const unwrapped = new WeakMap<object, D1PreparedStatement>();
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values));
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (["first", "all", "run", "raw"].includes(prop as string)) count++;
        return value.bind(target);
      },
    });
    unwrapped.set(proxy, stmt);
    return proxy;
  };
  const db = new Proxy(real, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => wrap(target.prepare(sql));
      if (prop === "batch") {
        return (stmts: D1PreparedStatement[]) => {
          count++;
          return target.batch(stmts.map((s) => unwrapped.get(s) ?? s));
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { env: { ...env, DB: db }, roundTrips: () => count };
}
