import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/index";
import { withFaultyD1 } from "./faulty-d1";
import { testApp } from "./helpers";

describe("GET /healthz", () => {
  it("answers ok after a real D1 read", async () => {
    const res = await testApp()("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", database: true });
  });

  it("answers 503 when D1 fails, without detail", async () => {
    const res = await createApp().fetch(new Request("https://totp.test/healthz"), withFaultyD1(env, /api_keys/));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: "unavailable", database: false });
  });
});
