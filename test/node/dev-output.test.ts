import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { dropRequestLines } from "../../scripts/dev";

describe("npm run dev's terminal", () => {
  it("shows one line per request: the Worker's own, not wrangler's", async () => {
    const from = new PassThrough();
    const to = new PassThrough();
    let shown = "";
    to.on("data", (chunk: Buffer) => (shown += chunk.toString()));
    dropRequestLines(from, to);
    const ours = '{"level":"info","event":"request","method":"GET","route":"/validate","status":200,"ms":3,"outcome":"valid"}';
    from.write("[wrangler:info] Ready on http://localhost:8787\n");
    from.write("\x1b[32m[wrangler:info]\x1b[0m GET /validate 200 OK (12ms)\n");
    from.write("[wrangler:info] POST /createuser 405 Method Not Allowed (1ms)\n");
    from.write(`${ours}\n`);
    from.end();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(shown).toBe(`[wrangler:info] Ready on http://localhost:8787\n${ours}\n`);
  });
});
