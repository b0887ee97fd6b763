// Runs the conformance suite (the real CLI, as a child process) against `wrangler dev`, and proves
// that it catches bugs: a local proxy in front of the server breaks one behaviour at a time. Also
// records a run and replays it against the server unchanged and with one field changed.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startLocalServer, type LocalServer } from "../../scripts/lib/local-server";

const KEY = `conformance${randomBytes(8).toString("hex")}`;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}
type Mutation = (request: http.IncomingMessage, answer: Answer) => Answer;

interface Proxy {
  url: string;
  /** users created and not yet deleted, as seen on the wire */
  live: number;
  maxLive: number;
  close: () => Promise<void>;
}

/** A transparent HTTP proxy to `upstream` that lets `mutate` rewrite each answer. */
async function startProxy(upstream: string, mutate: Mutation = (_, answer) => answer): Promise<Proxy> {
  const target = new URL(upstream);
  const proxy: Proxy = { url: "", live: 0, maxLive: 0, close: async () => {} };
  const server = http.createServer((request, response) => {
    // The Host header goes through unchanged, so hashqr points at the proxy; bodies come back
    // uncompressed so that the mutations can read them.
    const { "accept-encoding": _encodings, ...headers } = request.headers;
    const forward = http.request(
      { host: target.hostname, port: target.port, method: request.method, path: request.url, headers },
      (upstreamResponse) => {
        const chunks: Buffer[] = [];
        upstreamResponse.on("data", (chunk: Buffer) => chunks.push(chunk));
        upstreamResponse.on("end", () => {
          const original = {
            status: upstreamResponse.statusCode ?? 502,
            headers: upstreamResponse.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          };
          countUsers(proxy, request, original);
          const { status, headers, body } = mutate(request, original);
          const { "content-length": _length, "transfer-encoding": _encoding, ...rest } = headers;
          response.writeHead(status, { ...rest, "content-length": Buffer.byteLength(body) });
          response.end(body);
        });
      },
    );
    forward.on("error", () => response.writeHead(502).end());
    request.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () => new Promise((resolve) => server.close(() => resolve()));
  return proxy;
}

function countUsers(proxy: Proxy, request: http.IncomingMessage, answer: Answer): void {
  const path = new URL(request.url ?? "/", "http://x").pathname;
  if (/^\/createuser\/?$/.test(path) && answer.status === 200 && (answer.body.includes('"user created"') || answer.body === "true")) {
    proxy.live += 1;
    proxy.maxLive = Math.max(proxy.maxLive, proxy.live);
  }
  if (answer.body.startsWith("Success: user deleted")) proxy.live -= 1;
}

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], onStdout?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "conformance/src/cli.ts", ...args], {
      cwd: process.cwd(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
      onStdout?.(stdout, child);
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const closing = (stdout: string) => /^(\d+) passed, (\d+) failed$/m.exec(stdout);

async function listUsers(url: string): Promise<Array<{ username: string }>> {
  return (await (await fetch(`${url}/api.php?action=listusers&api_key=${KEY}`)).json()) as Array<{ username: string }>;
}

/** Rewrites JSON answers only, so that the other formats still parse and the failure is specific. */
function onJson(rewrite: (value: Record<string, unknown>) => Record<string, unknown>): Mutation {
  return (_, answer) => {
    if (!String(answer.headers["content-type"]).startsWith("application/json") || !answer.body.startsWith("{")) return answer;
    return { ...answer, body: JSON.stringify(rewrite(JSON.parse(answer.body) as Record<string, unknown>)) };
  };
}

let server: LocalServer;
const proxies: Proxy[] = [];
const scratch = mkdtempSync(path.join(tmpdir(), "conformance-test-"));
beforeAll(async () => {
  server = await startLocalServer({ apiKeys: { conformance: KEY } });
}, 120_000);
afterAll(async () => {
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function proxyWith(mutate?: Mutation): Promise<Proxy> {
  const proxy = await startProxy(server.url, mutate);
  proxies.push(proxy);
  return proxy;
}

describe("npm run conformance", () => {
  it("passes every fixture step against wrangler dev, with at most 3 live users, and leaves none behind", async () => {
    const proxy = await proxyWith();
    const run = await runCli(["--target", proxy.url, "--api-key", KEY, "--tags", "seed,contract"]);
    const tally = closing(run.stdout);
    expect(run.stdout.split("\n").filter((line) => line.startsWith("FAIL"))).toEqual([]);
    expect(tally?.[2]).toBe("0");
    expect(Number(tally?.[1])).toBeGreaterThanOrEqual(60);
    expect(run.stdout.split("\n").filter((line) => line.startsWith("PASS ")).length).toBe(Number(tally?.[1]));
    expect(run.stdout.trimEnd().split("\n").at(-1)).toBe(tally?.[0]);
    expect(run.code).toBe(0);
    expect(proxy.maxLive).toBeGreaterThan(0);
    expect(proxy.maxLive).toBeLessThanOrEqual(3);
    expect(await listUsers(server.url)).toEqual([]);
    // No secret reaches the output: neither the key nor a TOTP secret in a hashqr URL.
    expect(run.stdout).not.toContain(KEY);
  });

  it("says in one line when the target is unreachable or the key is refused", async () => {
    const closedPort = await freePort(); // free: nothing listens there
    const unreachable = await runCli(["--target", `http://127.0.0.1:${closedPort}`, "--api-key", KEY]);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr.trim()).toBe(`conformance: cannot reach http://127.0.0.1:${closedPort}: ECONNREFUSED`);
    const refused = await runCli(["--target", server.url, "--api-key", "not-the-key"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toBe(`conformance: the API key was refused by ${server.url} (check --api-key)`);
  });

  it("deletes the users it created when interrupted", async () => {
    let interrupted = false;
    const run = await runCli(
      ["--target", server.url, "--api-key", KEY, "--only", "contract-createuser-formats,contract-validate-lockout"],
      (stdout, child) => {
        // Interrupt once users exist: right after the first user was created.
        if (!interrupted && /PASS .*create user/.test(stdout)) {
          interrupted = true;
          child.kill("SIGTERM");
        }
      },
    );
    expect(interrupted).toBe(true);
    expect(run.code).toBe(143);
    expect(run.stderr).toMatch(/SIGTERM: stopping; deleting the users this run created/);
    expect(await listUsers(server.url)).toEqual([]);
  });

  const swapFirstTwoFields = onJson((value) => {
    const [first, second, ...rest] = Object.entries(value);
    return first && second ? Object.fromEntries([second, first, ...rest]) : value;
  });
  const breakages: Array<{ behaviour: string; only: string; mutate: Mutation; named: RegExp }> = [
    {
      behaviour: "a JSON field order",
      only: "contract-createuser-formats",
      mutate: swapFirstTwoFields,
      named:
        /FAIL contract-createuser-formats › create user f1 \(format 1\): body field order: expected \[response, userid, success, hash, hashqr\], got \[userid, response, success, hash, hashqr\]/,
    },
    {
      behaviour: "a Content-Type",
      only: "contract-createuser-formats",
      mutate: (_, answer) =>
        String(answer.headers["content-type"]).startsWith("application/xml")
          ? { ...answer, headers: { ...answer.headers, "content-type": "text/xml" } }
          : answer,
      named:
        /FAIL contract-createuser-formats › create user f2 \(format 2\): content-type: expected "application\/xml; charset=utf-8", got "text\/xml"/,
    },
    {
      behaviour: "an error text",
      only: "contract-validate-errors",
      mutate: onJson((value) => (value.response === "user not found" ? { ...value, response: "no such user" } : value)),
      named: /FAIL contract-validate-errors › unknown userid \(code 4\): body\.response: expected "user not found", got "no such user"/,
    },
    {
      behaviour: "the replay check",
      only: "contract-validate-replay",
      mutate: onJson((value) =>
        value.response === "token already used" ? { response: "OTP is valid", userid: value.userid, validation: "true" } : value,
      ),
      named:
        /FAIL contract-validate-replay › the same token again \(code 8\): body field order: expected \[response, userid, validation, error, code\], got \[response, userid, validation\]; body\.response: expected "token already used", got "OTP is valid"; body\.validation: expected "false", got "true"/,
    },
  ];

  it("fails, naming the difference, when one behaviour is broken", async () => {
    // The same fixtures through a proxy that changes nothing pass: the failures below are the breakage's.
    const only = [...new Set(breakages.map((b) => b.only))].join(",");
    const clean = await runCli(["--target", (await proxyWith()).url, "--api-key", KEY, "--only", only]);
    expect(closing(clean.stdout)?.[2]).toBe("0");
    expect(clean.code).toBe(0);

    const runs = await Promise.all(
      breakages.map(async (breakage) => ({
        breakage,
        run: await runCli(["--target", (await proxyWith(breakage.mutate)).url, "--api-key", KEY, "--only", breakage.only]),
      })),
    );
    for (const { breakage, run } of runs) {
      expect(run.code, breakage.behaviour).toBe(1);
      expect(run.stdout, breakage.behaviour).toMatch(breakage.named);
      expect(Number(closing(run.stdout)?.[2]), breakage.behaviour).toBeGreaterThan(0);
    }
  });

  it("compare mode prints a table of the fields that differ between two targets", async () => {
    const broken = await proxyWith(breakages[2]?.mutate);
    const run = await runCli([
      "--target",
      server.url,
      "--api-key",
      KEY,
      "--compare",
      broken.url,
      "--compare-api-key",
      KEY,
      "--only",
      "contract-validate-errors",
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/difference\(s\) between A=/);
    expect(run.stdout).toMatch(
      /contract-validate-errors › unknown userid \(code 4\)\s+\| body\.response\s+\| "user not found"\s+\| "no such user"/,
    );
    // userids, secrets and hosts differ on every run and are not reported.
    expect(run.stdout).not.toMatch(/\| body\.(userid|hash|hashqr) /);
  });
});

/** The rows of the compare/replay table: [step, field, A, B], cells trimmed. */
function tableRows(stdout: string): string[][] {
  const lines = stdout.split("\n");
  const rule = lines.findIndex((line) => /^-+-\+-/.test(line));
  if (rule < 0) return [];
  const rows: string[][] = [];
  for (const line of lines.slice(rule + 1)) {
    if (!line.includes(" | ")) break;
    rows.push(line.split(" | ").map((cell) => cell.trim()));
  }
  return rows;
}

interface RecordedStep {
  fixture: string;
  step: string;
  passed: boolean;
  observed: Record<string, string>;
  request?: { url: string; body?: string; multipart?: Record<string, string> };
  answer?: { status: number; body: string };
}

function recordedFiles(directory: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of readdirSync(directory, { recursive: true, encoding: "utf8" })) {
    if (name.endsWith(".json")) files.set(name, readFileSync(path.join(directory, name), "utf8"));
  }
  return files;
}

describe("--record and --replay", () => {
  const recording = path.join(scratch, "recording");
  /** what the server said on the wire while the recording was made */
  const wire: string[] = [];
  let record: CliRun;
  const OTHER_PERSON = "alice.realperson@example.org";

  beforeAll(async () => {
    // An appliance lists its real users too: one that is not the suite's must not reach a recording.
    const created = await fetch(`${server.url}/createuser?api_key=${KEY}&email=${encodeURIComponent(OTHER_PERSON)}&format=1`);
    expect(created.status).toBe(200);
    const proxy = await proxyWith((request, answer) => {
      wire.push(`${request.url}\n${answer.body}`);
      return answer;
    });
    record = await runCli(["--target", proxy.url, "--api-key", KEY, "--record", recording]);
    await fetch(`${server.url}/api.php?action=deletelocaluser&user=${encodeURIComponent(OTHER_PERSON)}&api_key=${KEY}`);
  }, 120_000);

  it("saves one file per step with its request and answer, and no key, secret, code, password, QR image or other user", () => {
    expect(record.code).toBe(0);
    const passed = Number(closing(record.stdout)?.[1]);
    expect(passed).toBeGreaterThanOrEqual(60);
    const files = recordedFiles(recording);
    const index = JSON.parse(files.get("run.json") ?? "{}") as { tool: string; passed: number; failed: number; fixtures: string[] };
    const { version } = JSON.parse(readFileSync("conformance/package.json", "utf8")) as { version: string };
    expect(index).toMatchObject({ tool: `totp-conformance ${version}`, passed, failed: 0 });
    expect(files.size).toBe(passed + 1);
    const steps = [...files].filter(([name]) => name !== "run.json").map(([, text]) => JSON.parse(text) as RecordedStep);
    const validate = steps.find((step) => step.fixture === "seed-validate" && step.step === "validate a with the current token (format 1)");
    expect(validate).toMatchObject({ passed: true, observed: { "body.response": '"OTP is valid"', "body.userid": "<integer>" } });
    expect(validate?.request?.url).toMatch(/\/validate\?api_key=<redacted>&userid=\d+&token=<redacted>&format=1$/);
    expect(validate?.answer).toMatchObject({
      status: 200,
      body: expect.stringMatching(/^\{"response":"OTP is valid","userid":\d+,"validation":"true"\}$/),
    });

    const text = [...files.values()].join("\n");
    // Every TOTP secret the server handed out (createuser's hash, hashqr's secret), as seen on the wire.
    const secrets = new Set(wire.join("\n").match(/[A-Z2-7]{32}/g));
    expect(secrets.size).toBeGreaterThan(20);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toContain(KEY);
    const sent = steps.map((step) => JSON.stringify(step.request ?? {})).join("\n");
    expect(sent).toMatch(/token=<redacted>/);
    expect(sent).toMatch(/localpassword=<redacted>/);
    expect(sent).not.toMatch(/[?&\\"](?:api_key|api|token|localpassword)=(?!<redacted>)/);
    expect(sent).not.toMatch(/\\*"(?:api_key|api|token|localpassword)\\*": ?\\*"(?!<redacted>)/);
    const bodies = steps.map((step) => step.answer?.body ?? "");
    expect(bodies.filter((body) => /<svg[\s>]/.test(body))).toEqual([]);
    expect(bodies.filter((body) => body.startsWith("(an SVG image of ")).length).toBeGreaterThan(0);
    expect(wire.join("\n")).toContain(OTHER_PERSON);
    expect(text).not.toContain(OTHER_PERSON);
  });

  it("a replay against the same server, through another host, finds no difference", async () => {
    const run = await runCli(["--target", server.url, "--api-key", KEY, "--replay", recording]);
    expect(run.stdout).toMatch(
      /^No differences between A=http:\/\/127\.0\.0\.1:\d+ and B=http:\/\/127\.0\.0\.1:\d+ \(recorded .* in .*recording\)\.$/m,
    );
    expect(tableRows(run.stdout)).toEqual([]);
    expect(closing(run.stdout)?.[1]).toBe(closing(record.stdout)?.[1]);
    expect(run.code).toBe(0);
  });

  it("a replay against a server with one changed field reports exactly that field", async () => {
    // Seed fixtures accept any response text, so the live run passes: only the replay notices.
    const changed = await proxyWith((_, answer) => ({
      ...answer,
      body: answer.body.replace("<response>OTP is valid</response>", "<response>OTP accepted</response>"),
    }));
    const run = await runCli(["--target", changed.url, "--api-key", KEY, "--replay", recording, "--tags", "seed"]);
    expect(closing(run.stdout)?.[2]).toBe("0");
    expect(run.stdout).toMatch(/^1 difference\(s\) between A=http:\/\/127\.0\.0\.1:\d+ and B=/m);
    expect(tableRows(run.stdout)).toEqual([
      ["seed-validate › validate c with the current token (format 2)", "body.response", '"OTP accepted"', '"OTP is valid"'],
    ]);
    expect(run.code).toBe(1);
  });

  it("refuses a recording directory that holds anything, and a replay of a directory that is no recording", async () => {
    const busy = mkdtempSync(path.join(scratch, "busy-"));
    writeFileSync(path.join(busy, "notes.txt"), "mine");
    const refused = await runCli(["--target", server.url, "--api-key", KEY, "--record", busy]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toBe(
      `conformance: --record ${busy}: the directory is not empty (a recording goes into a new or empty one)`,
    );
    expect(readdirSync(busy)).toEqual(["notes.txt"]);
    const notRecording = await runCli(["--target", server.url, "--api-key", KEY, "--replay", busy]);
    expect(notRecording.code).toBe(2);
    expect(notRecording.stderr.trim()).toMatch(/^conformance: --replay .*busy-\w+: not a recording \(run\.json: ENOENT/);
  });
});
