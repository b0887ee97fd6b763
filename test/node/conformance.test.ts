// Runs the conformance suite (the real CLI, as a child process) against `wrangler dev`, and proves
// that it catches bugs: a local proxy in front of the server breaks one behaviour at a time.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM scripts without type declarations
import { freePort, startLocalServer } from "../../scripts/local-server.mjs";

const KEY = `conformance-${randomBytes(8).toString("hex")}`;

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
    const forward = http.request({ host: target.hostname, port: target.port, method: request.method, path: request.url, headers }, (upstreamResponse) => {
      const chunks: Buffer[] = [];
      upstreamResponse.on("data", (chunk: Buffer) => chunks.push(chunk));
      upstreamResponse.on("end", () => {
        const original = { status: upstreamResponse.statusCode ?? 502, headers: upstreamResponse.headers, body: Buffer.concat(chunks).toString("utf8") };
        countUsers(proxy, request, original);
        const { status, headers, body } = mutate(request, original);
        const { "content-length": _length, "transfer-encoding": _encoding, ...rest } = headers;
        response.writeHead(status, { ...rest, "content-length": Buffer.byteLength(body) });
        response.end(body);
      });
    });
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
    const child = spawn(process.execPath, ["--import", "tsx", "conformance/cli.ts", ...args], { cwd: process.cwd(), stdio: ["ignore", "pipe", "pipe"] });
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

let server: { url: string; stop: () => Promise<void> };
const proxies: Proxy[] = [];
beforeAll(async () => {
  server = await startLocalServer({ apiKeys: { conformance: KEY } });
}, 120_000);
afterAll(async () => {
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await server?.stop();
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
    const run = await runCli(["--target", server.url, "--api-key", KEY, "--only", "contract-createuser-formats,contract-validate-lockout"], (stdout, child) => {
      // Interrupt once users exist: right after the first user was created.
      if (!interrupted && /PASS .*create user/.test(stdout)) {
        interrupted = true;
        child.kill("SIGTERM");
      }
    });
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
      named: /FAIL contract-createuser-formats › create user f1 \(format 1\): body field order: expected \[response, userid, success, hash, hashqr\], got \[userid, response, success, hash, hashqr\]/,
    },
    {
      behaviour: "a Content-Type",
      only: "contract-createuser-formats",
      mutate: (_, answer) => (String(answer.headers["content-type"]).startsWith("application/xml") ? { ...answer, headers: { ...answer.headers, "content-type": "text/xml" } } : answer),
      named: /FAIL contract-createuser-formats › create user f2 \(format 2\): content-type: expected "application\/xml; charset=utf-8", got "text\/xml"/,
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
      mutate: onJson((value) => (value.response === "token already used" ? { response: "OTP is valid", userid: value.userid, validation: "true" } : value)),
      named: /FAIL contract-validate-replay › the same token again \(code 8\): body field order: expected \[response, userid, validation, error, code\], got \[response, userid, validation\]; body\.response: expected "token already used", got "OTP is valid"; body\.validation: expected "false", got "true"/,
    },
  ];

  it("fails, naming the difference, when one behaviour is broken", async () => {
    // The same fixtures through a proxy that changes nothing pass: the failures below are the breakage's.
    const only = [...new Set(breakages.map((b) => b.only))].join(",");
    const clean = await runCli(["--target", (await proxyWith()).url, "--api-key", KEY, "--only", only]);
    expect(closing(clean.stdout)?.[2]).toBe("0");
    expect(clean.code).toBe(0);

    const runs = await Promise.all(
      breakages.map(async (breakage) => ({ breakage, run: await runCli(["--target", (await proxyWith(breakage.mutate)).url, "--api-key", KEY, "--only", breakage.only]) })),
    );
    for (const { breakage, run } of runs) {
      expect(run.code, breakage.behaviour).toBe(1);
      expect(run.stdout, breakage.behaviour).toMatch(breakage.named);
      expect(Number(closing(run.stdout)?.[2]), breakage.behaviour).toBeGreaterThan(0);
    }
  });

  it("compare mode prints a table of the fields that differ between two targets", async () => {
    const broken = await proxyWith(breakages[2]?.mutate);
    const run = await runCli(["--target", server.url, "--api-key", KEY, "--compare", broken.url, "--compare-api-key", KEY, "--only", "contract-validate-errors"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/difference\(s\) between A=/);
    expect(run.stdout).toMatch(/contract-validate-errors › unknown userid \(code 4\)\s+\| body\.response\s+\| "user not found"\s+\| "no such user"/);
    // userids, secrets and hosts differ on every run and are not reported.
    expect(run.stdout).not.toMatch(/\| body\.(userid|hash|hashqr) /);
  });
});
