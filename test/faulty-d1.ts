import type { Env } from "../src/config";

/**
 * A D1 binding that fails like a real outage for statements whose SQL matches `failing`,
 * alone or inside a batch, and passes everything else to the real database.
 */
export function faultyD1(real: D1Database, failing: RegExp): D1Database {
  const unwrap = new WeakMap<object, D1PreparedStatement>();
  const fail = () => Promise.reject(new Error("D1_ERROR: injected fault: storage unavailable"));
  const wrap = (stmt: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values), sql);
        if (["first", "all", "run", "raw"].includes(prop as string) && failing.test(sql)) return fail;
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    unwrap.set(proxy, stmt);
    failingSql.set(proxy, failing.test(sql));
    return proxy;
  };
  const failingSql = new WeakMap<object, boolean>();
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => wrap(target.prepare(sql), sql);
      // A session (D1 Sessions API) fails alike.
      if (prop === "withSession")
        return (constraint?: string) => faultyD1(target.withSession(constraint) as unknown as D1Database, failing);
      if (prop === "batch") {
        return (stmts: D1PreparedStatement[]) =>
          stmts.some((s) => failingSql.get(s)) ? fail() : target.batch(stmts.map((s) => unwrap.get(s) ?? s));
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

export function withFaultyD1(env: Env, failing: RegExp): Env {
  return { ...env, DB: faultyD1(env.DB, failing) };
}
