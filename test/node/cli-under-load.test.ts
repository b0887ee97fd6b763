// Every CLI that touches a local D1, run 3 times on the D1 of a `wrangler dev` that answers a
// steady stream of validates meanwhile, as an operator would beside `npm run dev`. Each run must
// succeed: a lock held by the server is waited out (one line, no stack trace) in every step.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import * as OTPAuth from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newEncryptionKey } from "../../scripts/lib/d1";
import { type LocalServer, startLocalServer } from "../../scripts/lib/local-server";

const ROOT = path.resolve(import.meta.dirname, "../..");
const RUNS = 3;
const KEY = `load${randomBytes(16).toString("hex")}`;
const KEYRING = newEncryptionKey("load");
const LOCK_LINE = "local D1 is locked by another process (npm run dev?), retrying";
const run = promisify(execFile);

let server: LocalServer;
const totp = (secret: string) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) });

async function createUser(email: string): Promise<{ userid: number; secret: string }> {
  const res = await fetch(`${server.url}/createuser`, {
    method: "POST",
    headers: { "X-API-Key": KEY },
    body: new URLSearchParams({ email, format: "1" }),
  });
  const body = (await res.json()) as { userid: number; hash: string };
  return { userid: body.userid, secret: body.hash };
}

/** Validates with each user's current code, round and round (the first is accepted, the rest are replays): each one a D1 write. */
const stream = { running: true, answers: 0, statuses: new Map<number, number>(), done: Promise.resolve() };
async function validates(users: Array<{ userid: number; secret: string }>): Promise<void> {
  while (stream.running) {
    for (const user of users) {
      const body = new URLSearchParams({ userid: String(user.userid), token: totp(user.secret).generate(), format: "1" });
      const res = await fetch(`${server.url}/validate`, { method: "POST", headers: { "X-API-Key": KEY }, body }).catch(() => undefined);
      await res?.arrayBuffer();
      stream.answers++;
      stream.statuses.set(res?.status ?? 0, (stream.statuses.get(res?.status ?? 0) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

let drifty: { userid: number; secret: string };

beforeAll(async () => {
  server = await startLocalServer({ apiKeys: { load: KEY }, vars: { SECRET_ENCRYPTION_KEYS: KEYRING } });
  const users = await Promise.all(["a", "b", "c"].map((name) => createUser(`stream-${name}@example.com`)));
  drifty = await createUser("drifty@example.com");
  stream.done = validates(users);
}, 120_000);

afterAll(async () => {
  stream.running = false;
  await stream.done;
  console.log(`validates answered during the CLI runs: ${stream.answers} (HTTP status: count ${JSON.stringify([...stream.statuses])})`);
  await server?.stop();
  if (server) rmSync(server.persistTo, { recursive: true, force: true });
});

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(script: string, ...args: string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ["--import", "tsx", `scripts/${script}.ts`, ...args, "--persist-to", server.persistTo],
      {
        cwd: ROOT,
        env: { ...process.env, SECRET_ENCRYPTION_KEYS: KEYRING, PORT: "" },
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as CliRun;
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Runs `runOnce` RUNS times, one after the other, beside the stream; every run must succeed and show no stack trace. */
async function tenRuns(runOnce: (i: number) => Promise<CliRun>, check: (result: CliRun, i: number) => void): Promise<void> {
  const answersBefore = stream.answers;
  let waited = 0;
  for (let i = 1; i <= RUNS; i++) {
    const result = await runOnce(i);
    expect(result.code, `run ${i}:\n${result.stdout}${result.stderr}`).toBe(0);
    expect(result.stderr).not.toMatch(/SQLITE_BUSY|workerd|^\s+at /m);
    check(result, i);
    if (result.stderr.includes(LOCK_LINE)) waited++;
  }
  console.log(
    `${RUNS} of ${RUNS} succeeded; ${waited} waited for the lock; ${stream.answers - answersBefore} validates answered meanwhile`,
  );
  // The stream ran all along: otherwise this proved nothing.
  expect(stream.answers - answersBefore).toBeGreaterThanOrEqual(RUNS);
}

describe(`each CLI, ${RUNS} times beside a server answering validates on the same local D1`, () => {
  it("apikey create", async () => {
    await tenRuns(
      (i) => cli("apikey", "create", "--label", `load-${i}`),
      (result, i) => expect(result.stdout).toMatch(new RegExp(`^Created API key \\d+ \\(load-${i}\\)`)),
    );
  }, 900_000);

  it("admin create, with a link to the server that runs (or --origin)", async () => {
    await tenRuns(
      (i) => cli("admin", "create", `op-${i}`, ...(i % 2 ? [] : ["--origin", "https://totp.example.com"])),
      (result, i) => {
        const link = /^(https?:\/\/[^/\s]+)\/admin\/enrol\/[A-Za-z0-9_-]{43}$/m.exec(result.stdout)?.[1];
        expect(link).toBe(i % 2 ? server.url : "https://totp.example.com");
      },
    );
  }, 900_000);

  it("import", async () => {
    const file = path.join(server.persistTo, "users.csv");
    await tenRuns(
      (i) => {
        writeFileSync(file, `username,secret\nimported-${i}@example.com,${new OTPAuth.Secret().base32}\n`);
        return cli("import", file);
      },
      (result) => expect(result.stdout).toBe("Done: 1 imported, 0 skipped (username exists), 0 rejected.\n"),
    );
  }, 900_000);

  it("resync", async () => {
    const token = totp(drifty.secret);
    let later = 0;
    await tenRuns(
      () => {
        // Two consecutive codes, the later one after the last resynced and within RESYNC_WINDOW_STEPS
        // (10) of the time the CLI checks them: now or just ahead, as the CLI checks a little later.
        later = Math.max(later + 1, Math.floor(Date.now() / 30_000));
        const codes = [later - 1, later].map((step) => token.generate({ timestamp: step * 30_000 }));
        return cli("resync", "drifty@example.com", ...codes);
      },
      (result) => expect(result.stdout).toMatch(/^Resynced drifty@example\.com \(user \d+\): drift/),
    );
  }, 900_000);

  it("rotate-keys (asking the running server for its keys)", async () => {
    await tenRuns(
      () => cli("rotate-keys"),
      (result) => expect(result.stdout).toContain("Done: 0 secret(s) re-sealed under key load"),
    );
  }, 900_000);
});
