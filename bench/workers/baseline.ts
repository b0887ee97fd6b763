// The baseline for memory per request: a minimal Worker that makes one D1 query per request and
// nothing else, measured in the same run as ours (bench/memory.ts).

/** Its answer to every request. */
export interface BaselineAnswer {
  one: number;
}

/** @public wrangler dev's entry point (bench/memory.ts starts it) */
export default {
  async fetch(_request: Request, env: { DB: D1Database }): Promise<Response> {
    return Response.json(await env.DB.prepare("select 1 as one").first<BaselineAnswer>());
  },
};
