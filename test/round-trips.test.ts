import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { loadKeyring, seal } from "../src/crypto/secret-box";
import { createApp } from "../src/index";
import { base32Decode } from "../src/otp/base32";
import { forgetUserKey } from "../src/domain/user-keys";
import { countingD1 } from "./counting-d1";
import { forgetCopy } from "./support/user-copies";
import { enroll, newApiKey, testApp, TestClock, tokenFor, uniqueEmail } from "./helpers";

let key: string;
beforeAll(async () => {
  key = await newApiKey();
});

async function setup() {
  const clock = new TestClock();
  const user = await enroll(testApp({ now: clock.now }), key);
  const app = createApp({ now: clock.now });
  /** Sends one validate and returns its answer, the D1 round trips it made and its reads of a copy near the Worker. */
  const validate = async (query: string) => {
    const counted = countingD1(env);
    const res = await app.fetch(
      new Request(`https://totp.test/validate?api_key=${key}&userid=${user.userId}&format=1&${query}`),
      counted.env,
    );
    const near = /copy;[^,]*desc="(\d+) near reads?"/.exec(res.headers.get("server-timing") ?? "");
    return {
      answer: (await res.json()) as { validation: string; code?: number },
      trips: counted.roundTrips(),
      near: near ? Number(near[1]) : 0,
    };
  };
  return { clock, user, validate };
}

describe("D1 round trips of validate", () => {
  it("first sight of a user in an isolate, with the copy createuser left: 1 to the primary (and 1 near read); after that 1", async () => {
    const { clock, user, validate } = await setup();
    const token = tokenFor(user.secret, clock.ms);
    const wrong = `token=${tokenFor(user.secret, clock.ms, 5)}`;
    expect(await validate(`token=${token}`)).toEqual({ answer: expect.objectContaining({ validation: "true" }), trips: 1, near: 1 });
    expect(await validate(`token=${token}`)).toEqual({ answer: expect.objectContaining({ code: 8 }), trips: 1, near: 0 });
    expect((await validate("send=1")).trips).toBe(1);
    for (let i = 0; i < 5; i++)
      expect(await validate(wrong)).toEqual({ answer: expect.objectContaining({ validation: "false" }), trips: 1, near: 0 });
    expect(await validate(wrong)).toEqual({ answer: expect.objectContaining({ code: 6 }), trips: 1, near: 0 });
    expect((await validate("token=12345")).trips).toBe(1);
    clock.advance(31);
    expect(await validate(`token=${tokenFor(user.secret, clock.ms)}`)).toMatchObject({
      answer: expect.objectContaining({ validation: "true" }),
      trips: 1,
    });
  });

  it("first sight with no copy near (a cold data center): read, then write (2); the read leaves a copy, so the next isolate's is 1", async () => {
    const { clock, user, validate } = await setup();
    await forgetCopy(user.userId);
    expect(await validate(`token=${tokenFor(user.secret, clock.ms, 5)}`)).toEqual({
      answer: expect.objectContaining({ validation: "false" }),
      trips: 2,
      near: 1,
    });
    forgetUserKey(user.userId);
    expect(await validate(`token=${tokenFor(user.secret, clock.ms)}`)).toEqual({
      answer: expect.objectContaining({ validation: "true" }),
      trips: 1,
      near: 1,
    });
  });

  it("a replay on first sight is refused by the guarded write alone (1)", async () => {
    const other = await setup();
    await env.DB.prepare("UPDATE users SET last_step = ? WHERE id = ?")
      .bind(Math.floor(other.clock.ms / 30_000), other.user.userId)
      .run();
    expect(await other.validate(`token=${tokenFor(other.user.secret, other.clock.ms)}`)).toMatchObject({
      answer: expect.objectContaining({ code: 8 }),
      trips: 1,
    });
    await forgetCopy(other.user.userId);
    forgetUserKey(other.user.userId);
    // Without a copy, the read already shows the step taken: refused without a write.
    expect(await other.validate(`token=${tokenFor(other.user.secret, other.clock.ms)}`)).toMatchObject({
      answer: expect.objectContaining({ code: 8 }),
      trips: 1,
    });
  });

  it("a secret re-sealed since it was cached (a key rotation) still validates, through one more read", async () => {
    const { clock, user, validate } = await setup();
    expect((await validate(`token=${tokenFor(user.secret, clock.ms)}`)).answer.validation).toBe("true");
    const reseal = async () => {
      const row = (await env.DB.prepare("SELECT username_key FROM users WHERE id = ?")
        .bind(user.userId)
        .first<{ username_key: string }>())!;
      const sealed = await seal(await loadKeyring(env.SECRET_ENCRYPTION_KEYS), base32Decode(user.secret), row.username_key);
      await env.DB.prepare("UPDATE users SET secret_ciphertext = ? WHERE id = ?").bind(sealed.ciphertext, user.userId).run();
    };
    await reseal();
    clock.advance(30);
    expect(await validate(`token=${tokenFor(user.secret, clock.ms)}`)).toMatchObject({
      answer: expect.objectContaining({ validation: "true" }),
      trips: 3,
    });
    // A wrong code through a stale cache entry is counted once, against the current secret.
    await reseal();
    expect((await validate(`token=${tokenFor(user.secret, clock.ms, 5)}`)).trips).toBe(3);
    expect(await env.DB.prepare("SELECT failed_attempts FROM users WHERE id = ?").bind(user.userId).first("failed_attempts")).toBe(1);
  });
});

/** Sends one request and returns its status, body and the D1 round trips it made, by where they went. */
async function counted(path: string, { sessions = true } = {}) {
  const counting = countingD1(env, { sessions });
  const res = await createApp().fetch(new Request(`https://totp.test${path}`), counting.env);
  return { status: res.status, body: await res.text(), trips: counting.trips() };
}

const q = encodeURIComponent;

describe("D1 round trips of every other route", () => {
  it("createuser: 1, the insert guarded by the key in the key check's batch, for a new and a taken name alike", async () => {
    const email = uniqueEmail("trips");
    const create = (query: string) => counted(`/createuser?format=3&${query}`);
    expect(await create(`api_key=${key}&email=${q(email)}`)).toEqual({ status: 200, body: "true", trips: ["primary"] });
    expect(await create(`api_key=${key}&email=${q(email)}&format=1`)).toMatchObject({
      body: expect.stringContaining('"code":5'),
      trips: ["primary"],
    });
    // A wrong key: refused by the same batch, nothing inserted; then refused again without a query.
    const wrong = `api_key=wrong${Date.now()}&email=${q(uniqueEmail("trips"))}&format=1`;
    expect(await create(wrong)).toMatchObject({ body: expect.stringContaining('"code":1'), trips: ["primary"] });
    expect(await create(wrong)).toMatchObject({ body: expect.stringContaining('"code":1'), trips: [] });
    // Bad input costs no insert, only the key check that lets a wrong key outrank it.
    expect(await create(`api_key=${key}&format=1`)).toMatchObject({ body: expect.stringContaining('"code":2'), trips: ["primary"] });
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM users WHERE username_key = ?").bind(email.toLowerCase()).first("n");
    expect(rows).toBe(1);
  });

  it("healthz: 1, on a session any replica may answer", async () => {
    expect(await counted("/healthz")).toMatchObject({ status: 200, trips: ["first-unconstrained"] });
  });

  it("QR: 1 on a replica for the right secret; a miss asks the primary too (2)", async () => {
    const user = await enroll(testApp(), key);
    const path = new URL(user.hashqr).pathname + new URL(user.hashqr).search;
    expect(await counted(path)).toMatchObject({ status: 200, trips: ["first-unconstrained"] });
    const wrong = path.replace(/secret=./, (m) => `${m.slice(0, -1)}${m.endsWith("A") ? "B" : "A"}`);
    expect(await counted(wrong)).toMatchObject({ status: 404, trips: ["first-unconstrained", "primary"] });
    // Without the Sessions API every read is the primary's, and a miss is not asked twice.
    expect(await counted(path, { sessions: false })).toMatchObject({ status: 200, trips: ["primary"] });
    expect(await counted(wrong, { sessions: false })).toMatchObject({ status: 404, trips: ["primary"] });
  });

  it("deletelocaluser: 1, whether the user exists or not", async () => {
    const user = await enroll(testApp(), key);
    const remove = () => counted(`/api.php?action=deletelocaluser&user=${q(user.email)}&api_key=${key}`);
    expect(await remove()).toMatchObject({ body: "Success: user deleted", trips: ["primary"] });
    expect(await remove()).toMatchObject({ body: "Error: user does not exist", trips: ["primary"] });
  });

  it("changelocaluserpassword: 2 (find the user, then the guarded write after the slow hash); 1 when refused", async () => {
    const user = await enroll(testApp(), key);
    const change = (password: string, name = user.email) =>
      counted(`/api.php?action=changelocaluserpassword&user=${q(name)}&localpassword=${q(password)}&api_key=${key}`);
    expect(await change("long-enough")).toMatchObject({ body: "Success: user password changed", trips: ["primary", "primary"] });
    expect(await change("short")).toMatchObject({ body: expect.stringContaining("too short"), trips: ["primary"] });
    expect(await change("long-enough", uniqueEmail("nobody"))).toMatchObject({ body: "Error: user does not exist", trips: ["primary"] });
  });

  it("listusers: 1 per page of 1,000, the first with the key check on the primary, the rest on its session", async () => {
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2600)
       INSERT INTO users (username, username_key, secret_ciphertext, secret_key_id)
       SELECT 'trips-' || i || '@example.com', 'trips-' || i || '@example.com', 'x.x', 't1' FROM n`,
    ).run();
    const total = (await env.DB.prepare("SELECT count(*) AS n FROM users").first<number>("n"))!;
    const list = async (query: string) => {
      const answer = await counted(`/api.php?action=listusers&api_key=${key}${query}`);
      return { users: (JSON.parse(answer.body) as unknown[]).length, trips: answer.trips };
    };
    const pages = (n: number) => new Array<string>(n).fill("first-primary");
    expect(await list("&limit=1")).toEqual({ users: 1, trips: pages(1) });
    expect(await list("&limit=1000")).toEqual({ users: 1000, trips: pages(1) });
    expect(await list("&limit=1001")).toEqual({ users: 1001, trips: pages(2) });
    expect(await list("&limit=2500")).toEqual({ users: 2500, trips: pages(3) });
    // Exactly two pages' worth to the end: no round trip is spent on an empty third page.
    expect(await list(`&offset=${total - 2000}`)).toEqual({ users: 2000, trips: pages(2) });
    expect(await list(`&offset=${total}`)).toEqual({ users: 0, trips: pages(1) });
    expect(await list("")).toEqual({ users: total, trips: pages(Math.ceil(total / 1000)) });
  });
});
