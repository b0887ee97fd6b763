import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/index";
import { newApiKey } from "./helpers";

const USERS = 100_000;

/** Counts the statements that read the users table, to see how the listing talks to D1. */
function countingD1(real: D1Database, counter: { userReads: number }): D1Database {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "prepare") {
        return (sql: string) => {
          if (/^\s*select\b/i.test(sql) && /\bfrom "?users"?(\s|\)|$)/i.test(sql)) counter.userReads++;
          return target.prepare(sql);
        };
      }
      // Later pages are read on a D1 session (Sessions API): count those too.
      if (prop === "withSession")
        return (constraint?: string) => countingD1(target.withSession(constraint) as unknown as D1Database, counter);
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

describe("listusers with 100,000 users", () => {
  let key: string;
  beforeAll(async () => {
    key = await newApiKey();
    // Seeded in one statement straight into D1: the listing reads names and times, never secrets.
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
       INSERT INTO users (username, username_key, secret_ciphertext, secret_key_id, created_at)
       SELECT 'bulk-' || i || '@example.com', 'bulk-' || i || '@example.com', 'x.x', 't1', 1700000000 + i FROM n`,
    )
      .bind(USERS)
      .run();
  }, 120_000);

  it("streams all of them in userid order, a bounded page at a time", async () => {
    const counter = { userReads: 0 };
    const started = performance.now();
    const res = await createApp().fetch(new Request(`https://totp.test/api.php?action=listusers&api_key=${key}`), {
      ...env,
      DB: countingD1(env.DB, counter),
    });
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");

    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    let chunks = 0;
    let largestChunk = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks++;
      largestChunk = Math.max(largestChunk, value.byteLength);
      text += decoder.decode(value, { stream: true });
    }
    const seconds = (performance.now() - started) / 1000;

    const list = JSON.parse(text) as Array<{ userid: number; username: string; timestamp: number }>;
    expect(list).toHaveLength(USERS);
    for (let i = 0; i < list.length; i++) {
      const row = list[i]!;
      if (i > 0 && row.userid <= list[i - 1]!.userid) throw new Error(`out of order at ${i}`);
      if (row.username !== `bulk-${i + 1}@example.com` || row.timestamp !== 1700000001 + i)
        throw new Error(`wrong row ${i}: ${JSON.stringify(row)}`);
    }
    // Paged from D1 (1,000 rows a read), never one giant array: no chunk holds more than a page.
    expect(counter.userReads).toBeGreaterThanOrEqual(USERS / 1000);
    expect(chunks).toBeGreaterThanOrEqual(USERS / 1000);
    expect(largestChunk).toBeLessThan(128 * 1024);
    console.log(
      `listusers: ${USERS} users, ${(text.length / 1e6).toFixed(1)} MB in ${chunks} chunks, ${counter.userReads} D1 reads, ${seconds.toFixed(2)} s`,
    );
  }, 120_000);
});
