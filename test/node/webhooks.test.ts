// Events end to end on `wrangler dev` with its local queues: endpoints added with
// `npm run webhook`, changes made through the API, deliveries verified by a receiver that uses the
// `standardwebhooks` package. At-least-once with dedupe: each event once per webhook-id, also
// after the receiver was down for a while; a receiver that always fails ends in the dead-letter state.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import * as OTPAuth from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execute, newEncryptionKey } from "../../scripts/lib/d1";
import { freePort, type LocalServer, startLocalServer } from "../../scripts/lib/local-server";
import { type Receiver, startReceiver } from "./support/webhook-receiver";

const KEY = `hooks${randomBytes(16).toString("hex")}`;
const KEYRING = newEncryptionKey("test");
const ROOT = path.resolve(import.meta.dirname, "../..");
const run = promisify(execFile);

let server: LocalServer;
let good: Receiver;
let dead: Receiver;

async function webhookCli(...args: string[]): Promise<string> {
  const { stdout } = await run("node", ["--import", "tsx", "scripts/webhook.ts", ...args, "--persist-to", server.persistTo], {
    cwd: ROOT,
    env: { ...process.env, SECRET_ENCRYPTION_KEYS: KEYRING, WRANGLER_SEND_METRICS: "false" },
  });
  return stdout;
}

async function addEndpoint(receiver: Receiver, events: string): Promise<string> {
  const out = await webhookCli("add", receiver.url, "--events", events);
  receiver.secret = /(whsec_\S+)/.exec(out)![1]!;
  return /Endpoint (ep_\S+) added/.exec(out)![1]!;
}

async function api(route: string, params: Record<string, string>): Promise<string> {
  const res = await fetch(`${server.url}/${route}`, { method: "POST", headers: { "X-API-Key": KEY }, body: new URLSearchParams(params) });
  return res.text();
}

async function createUser(email: string): Promise<{ userid: number; hash: string }> {
  return JSON.parse(await api("createuser", { email, format: "1" })) as { userid: number; hash: string };
}

async function until(what: string | (() => string), check: () => boolean, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === "string" ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

beforeAll(async () => {
  [good, dead] = await Promise.all([startReceiver("down"), startReceiver("broken")]);
  server = await startLocalServer({
    apiKeys: { hooks: KEY },
    vars: { SECRET_ENCRYPTION_KEYS: KEYRING, WEBHOOK_RETRY_BASE_SECONDS: "1", WEBHOOK_RETRY_MAX_SECONDS: "1", WEBHOOK_TIMEOUT_MS: "10000" },
  });
});

afterAll(async () => {
  await server?.stop();
  await Promise.all([good?.close(), dead?.close()]);
});

describe("webhooks through local queues", () => {
  it("delivers every event once per webhook-id with a valid signature, after an outage too; a failing receiver ends failed", async () => {
    const goodId = await addEndpoint(good, "all");
    const deadId = await addEndpoint(dead, "user.deleted");
    expect(await webhookCli("list")).toContain(goodId);

    const [locked, confirmed, deleted] = await Promise.all(["locked", "confirmed", "deleted"].map((n) => createUser(`${n}@hooks.test`)));
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(confirmed!.hash) });
    const code = totp.generate();
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
    for (let i = 0; i < 5; i++) await api("validate", { userid: String(locked!.userid), token: wrong });
    expect(await api("validate", { userid: String(confirmed!.userid), token: code, format: "1" })).toContain('"validation":"true"');
    expect(
      await api("api.php", { action: "changelocaluserpassword", user: "confirmed@hooks.test", localpassword: "correct horse" }),
    ).toMatch(/^Success/);
    expect(await api("api.php", { action: "deletelocaluser", user: "deleted@hooks.test" })).toMatch(/^Success/);
    // An outage: the deliveries so far are refused and retried with backoff.
    await until("a refused delivery", () => good.requests > 0);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    good.mode = "up";

    const expected = [
      "user.created",
      "user.created",
      "user.created",
      "user.locked",
      "user.confirmed",
      "user.password_changed",
      "user.deleted",
    ];
    await until("every event at the good receiver", () => good.accepted.length >= expected.length);
    await new Promise((resolve) => setTimeout(resolve, 3000)); // room for a stray event to show
    expect(good.invalid).toBe(0);
    // Exactly these events, each under its own webhook-id (repeats of an id, if any, were retries the receiver dropped).
    expect(good.accepted.map((d) => d.type).sort()).toEqual([...expected].sort());
    for (const delivery of good.accepted) {
      expect(delivery.id).toMatch(/^msg_[A-Za-z0-9_-]{24}$/);
      expect(delivery.data).toMatchObject({ actor: { type: "api_key", id: expect.any(Number) }, outcome: "ok" });
      expect(JSON.stringify(delivery.data)).not.toMatch(/secret|password"|token|correct horse/i);
    }
    const byType = (type: string) => good.accepted.find((d) => d.type === type)!.data;
    expect(byType("user.locked")).toMatchObject({
      userid: locked!.userid,
      username: "locked@hooks.test",
      locked_until: expect.any(String),
    });
    expect(byType("user.deleted")).toMatchObject({ userid: deleted!.userid, username: "deleted@hooks.test" });

    // The dead receiver verified the signature every time and always failed: dead-lettered, shown as failed.
    const deadState = () =>
      execute<{ status: string; attempts: number; last_status: number | null; last_error: string | null }>(
        `SELECT status, attempts, last_status, last_error FROM webhook_deliveries WHERE endpoint_id = '${deadId}'`,
        { persistTo: server.persistTo },
      );
    await until("the dead-letter state", () => deadState()[0]?.status === "failed", 120_000);
    // Six attempts: the first and max_retries (wrangler.toml) retries; the last answer is the receiver's 500.
    expect(deadState()).toEqual([{ status: "failed", attempts: 6, last_status: 500, last_error: "not a 2xx answer" }]);
    expect(dead.invalid).toBe(0);
    expect(dead.accepted).toEqual([]);
  });

  it("the example receivers (PHP, Python, JavaScript) verify real deliveries and refuse a forged one", async () => {
    const examples = [
      { command: "php", args: (port: number) => ["-S", `127.0.0.1:${port}`, "examples/php/webhook-receiver.php"] },
      { command: "python3", args: () => ["-B", "examples/python/webhook_receiver.py"] },
      { command: process.execPath, args: () => ["examples/javascript/webhook-receiver.mjs"] },
    ];
    const started: Array<{ child: ChildProcess; output: () => string; url: string; command: string }> = [];
    try {
      for (const example of examples) {
        const port = await freePort();
        const url = `http://127.0.0.1:${port}/`;
        const secret = /(whsec_\S+)/.exec(await webhookCli("add", url, "--events", "user.deleted"))![1]!;
        const child = spawn(example.command, example.args(port), {
          cwd: ROOT,
          env: { ...process.env, WEBHOOK_SECRET: secret, PORT: String(port) },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        child.stdout!.on("data", (chunk: Buffer) => (output += chunk));
        child.stderr!.on("data", (chunk: Buffer) => (output += chunk));
        started.push({ child, output: () => output, url, command: example.command });
      }
      await createUser("example@hooks.test");
      expect(await api("api.php", { action: "deletelocaluser", user: "example@hooks.test" })).toMatch(/^Success/);
      await until(
        () => `every example's event (${started.map((s) => s.output()).join(" | ")})`,
        () => started.every((s) => /"type": ?"user\.deleted"/.test(s.output())),
      );
      const ids = started.map((s) => /"id": ?"(msg_[^"]+)"/.exec(s.output())![1]);
      expect(new Set(ids).size).toBe(1); // one event, one webhook-id, whichever receiver
      for (const receiver of started) {
        const forged = await fetch(receiver.url, {
          method: "POST",
          body: '{"type":"user.deleted","timestamp":"2026-01-01T00:00:00.000Z","data":{}}',
          headers: {
            "webhook-id": "msg_forged",
            "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
            "webhook-signature": "v1,AAAA",
          },
        });
        expect(forged.status, receiver.command).toBe(400);
        expect(receiver.output()).not.toContain("msg_forged");
      }
    } finally {
      for (const receiver of started) receiver.child.kill();
    }
  });
});
