import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../src/config";
import { createApp } from "../src/index";
import { countingD1 } from "./counting-d1";
import { withFaultyD1 } from "./faulty-d1";
import { testApp } from "./helpers";

const base64Key = (fill: number, bytes = 32) => btoa(String.fromCharCode(...new Uint8Array(bytes).fill(fill)));
const healthz = (bindings: Env) => createApp().fetch(new Request("https://totp.test/healthz"), bindings);

afterEach(() => {
  vi.restoreAllMocks();
});

describe("GET /healthz", () => {
  it("answers ok and the keyring's ids after exactly one D1 round trip", async () => {
    const res = await testApp()("/healthz");
    expect(res.status).toBe(200);
    // vitest.config.ts: the test keyring has the single key id t1.
    expect(await res.json()).toEqual({ status: "ok", database: true, keyIds: ["t1"] });

    // The benchmark's ceiling: the keyring must not add a round trip.
    const counted = countingD1(env);
    await (await healthz(counted.env)).text();
    expect(counted.roundTrips()).toBe(1);
  });

  it("lists the key ids sealing key first, and never a key", async () => {
    const keys = `next:${base64Key(1)},t1:${base64Key(7)},old:${base64Key(9)}`;
    const res = await healthz({ ...env, SECRET_ENCRYPTION_KEYS: keys });
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({ status: "ok", database: true, keyIds: ["next", "t1", "old"] });
    for (const fill of [1, 7, 9]) expect(body).not.toContain(base64Key(fill).slice(0, 16));
  });

  it("still answers when the keyring does not load, saying only that it is invalid", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const short = base64Key(3, 16);
    for (const keys of [undefined, "", `k1:${short}`, `k1:${base64Key(4)},k1:${base64Key(5)}`, "no-separator"]) {
      const res = await healthz({ ...env, SECRET_ENCRYPTION_KEYS: keys });
      expect([keys, res.status]).toEqual([keys, 200]);
      expect([keys, await res.json()]).toEqual([keys, { status: "ok", database: true, keyring: "invalid" }]);
    }
    // The reason is logged for the operator, without key material.
    const logged = errors.mock.calls.map((args) => String(args[0]));
    expect(logged).toHaveLength(5);
    for (const line of logged) expect(JSON.parse(line)).toMatchObject({ level: "error", event: "misconfigured" });
    expect(logged.join("\n")).toContain("SECRET_ENCRYPTION_KEYS");
    expect(logged.join("\n")).not.toContain(short);
  });

  it("answers 503 when D1 fails, without detail", async () => {
    const res = await healthz(withFaultyD1(env, /api_keys/));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: "unavailable", database: false, keyIds: ["t1"] });
  });
});
