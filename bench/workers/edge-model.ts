// Our Worker with a fixed delay before every D1 round trip (BENCH_D1_DELAY_MS), sessions
// included: a model of the edge, where each round trip is a network hop from the Worker's colo
// to the database. Only the benchmark runs this entry point (bench/edge-model.ts).
import type { Env } from "../../src/config";
import app from "../../src/index";

/** The benchmark's own var: milliseconds added to every D1 round trip. */
export interface EdgeModelVars {
  BENCH_D1_DELAY_MS?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `d1` (a binding or a session) whose statement runs and batches each wait `ms` first. */
function delayed<D extends D1Database | D1DatabaseSession>(d1: D, ms: number): D {
  const inner = new WeakMap<object, D1PreparedStatement>();
  const statement = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => statement(target.bind(...values));
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (["first", "all", "run", "raw"].includes(prop as string))
          return async (...args: unknown[]) => {
            await sleep(ms);
            return value.apply(target, args);
          };
        return value.bind(target);
      },
    });
    inner.set(proxy, stmt);
    return proxy;
  };
  return new Proxy(d1, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => statement(target.prepare(query));
      if (prop === "batch")
        return async (stmts: D1PreparedStatement[]) => {
          await sleep(ms);
          return target.batch(stmts.map((s) => inner.get(s) ?? s));
        };
      if (prop === "withSession") return (constraint: string) => delayed((target as D1Database).withSession(constraint), ms);
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** @public wrangler dev's entry point (bench/edge-model.ts starts it) */
export default {
  fetch(request: Request, env: Env & EdgeModelVars, ctx: ExecutionContext): Response | Promise<Response> {
    const ms = Number(env.BENCH_D1_DELAY_MS ?? 0);
    return app.fetch(request, ms > 0 ? { ...env, DB: delayed(env.DB, ms) } : env, ctx);
  },
};
