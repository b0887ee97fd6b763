// The KEY_REFUSALS rate limit binding as wrangler.toml declares it, under a real `wrangler dev`:
// the workers-pool tests (test/security/floods.test.ts) use the same binding through miniflare.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalServer, type LocalServer } from "../../scripts/lib/local-server";

const KEY = `ratelimit${randomBytes(12).toString("hex")}`;
let server: LocalServer;
beforeAll(async () => {
  server = await startLocalServer({ apiKeys: { ratelimit: KEY } });
}, 120_000);
afterAll(() => server?.stop());

const validate = (key: string, address: string) =>
  fetch(`${server.url}/validate?userid=1&token=123456&format=1`, { headers: { "X-API-Key": key, "CF-Connecting-IP": address } });

describe("wrong keys under wrangler dev", () => {
  it("an address past 30 refusals in a window gets 429 with Retry-After; a valid key from it still works; others are untouched", async () => {
    // The legitimate key is accepted from the address before the flood (a shared NAT).
    expect((await (await validate(KEY, "198.51.100.20")).json()) as { code: number }).toMatchObject({ code: 4 });
    const statuses: number[] = [];
    // 30 per 10 s window: a window may end mid-run, so up to two windows' worth.
    for (let i = 0; i < 65 && !statuses.includes(429); i++) {
      statuses.push((await validate(`wrong${randomBytes(16).toString("hex")}`, "198.51.100.20")).status);
    }
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(30);
    const limited = await validate(`wrong${randomBytes(16).toString("hex")}`, "198.51.100.20");
    expect([limited.status, limited.headers.get("retry-after"), await limited.text()]).toEqual([429, "10", "Too Many Requests"]);
    expect(((await (await validate(KEY, "198.51.100.20")).json()) as { code: number }).code).toBe(4);
    expect((await validate(`wrong${randomBytes(16).toString("hex")}`, "198.51.100.21")).status).toBe(200);
    // The Worker's log names the outcome.
    expect(server.output()).toContain('"outcome":"rate_limited"');
  });
});
