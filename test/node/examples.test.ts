// Runs the client examples (examples/*) against `wrangler dev` as their readers would, through a
// proxy that records what each one sends, and checks each example's own TOTP code against the
// RFC 6238 test vectors: a code that loses a leading zero would otherwise fail one run in ten.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import * as OTPAuth from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalServer, type LocalServer } from "../../scripts/lib/local-server";

// Alphanumeric, like every key the project generates.
const KEY = `examples${randomBytes(16).toString("hex")}`;
const ROOT = path.resolve(import.meta.dirname, "../..");

interface Example {
  language: string;
  file: string;
  command: string;
  /** The command line that runs the example as a program. */
  args: (file: string) => string[];
  /** A command line that loads the example without running it and prints totp(RFC_SECRET, t) for each t. */
  vectors: (file: string, times: string[]) => { args: string[]; env?: Record<string, string> };
  /** What to install when `command` is missing (CI installs all of it). */
  needs: string;
}

/** RFC 6238 appendix B, SHA-1: the ASCII seed "12345678901234567890", 8-digit codes cut to 6. */
const RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const RFC_VECTORS: Array<[time: string, code: string]> = [
  ["59", "287082"],
  ["1111111109", "081804"],
  ["1111111111", "050471"],
  ["1234567890", "005924"],
  ["2000000000", "279037"],
  ["20000000000", "353130"],
];

const EXAMPLES: Example[] = [
  {
    language: "PHP",
    file: "examples/php/totp-edge.php",
    command: "php",
    args: (file) => [file],
    vectors: (file, times) => ({
      args: [
        "-r",
        `require $argv[1]; foreach (array_slice($argv, 2) as $t) echo totp("${RFC_SECRET}", (float) $t), "\\n";`,
        file,
        ...times,
      ],
    }),
    needs: "php-cli and php-curl (apt-get install php-cli php-curl)",
  },
  {
    language: "Python",
    file: "examples/python/totp_edge.py",
    command: "python3",
    // -B: no __pycache__ left in examples/.
    args: (file) => ["-B", file],
    vectors: (file, times) => ({
      args: [
        "-B",
        "-c",
        `import sys; sys.path.insert(0, sys.argv[1]); from totp_edge import totp\nfor t in sys.argv[2:]: print(totp("${RFC_SECRET}", int(t)))`,
        path.dirname(file),
        ...times,
      ],
    }),
    needs: "python3",
  },
  {
    language: "JavaScript",
    file: "examples/javascript/totp-edge.mjs",
    command: process.execPath,
    args: (file) => [file],
    // The path goes by environment: as argv[1] it would make the module run its main().
    vectors: (file, times) => ({
      args: [
        "--input-type=module",
        "-e",
        `const { totp } = await import(process.env.EXAMPLE_FILE); for (const t of process.argv.slice(1)) console.log(totp("${RFC_SECRET}", Number(t)));`,
        ...times,
      ],
      env: { EXAMPLE_FILE: file },
    }),
    needs: "node",
  },
  {
    language: "shell",
    file: "examples/shell/totp-edge.sh",
    command: "bash",
    args: (file) => [file],
    vectors: (file, times) => ({ args: ["-c", `source "$1"; shift; for t; do totp ${RFC_SECRET} "$t"; done`, "bash", file, ...times] }),
    needs: "bash, curl and openssl",
  },
];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; a missing program fails the test with what to install, never skips it. */
function run(example: Example, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(example.command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    child.on("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT"
          ? new Error(`${example.command} is not installed: the ${example.language} example needs ${example.needs}`)
          : error,
      ),
    );
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

interface Recorded {
  method: string;
  url: string;
  contentType: string;
  apiKeyHeader: string | undefined;
  body: string;
}

/** A transparent proxy to the server that records every request; Host goes through, so hashqr names the proxy. */
async function recordingProxy(upstream: string): Promise<{ url: string; requests: Recorded[]; close: () => Promise<void> }> {
  const target = new URL(upstream);
  const requests: Recorded[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      requests.push({
        method: request.method ?? "",
        url: request.url ?? "",
        contentType: request.headers["content-type"] ?? "",
        apiKeyHeader: request.headers["x-api-key"] as string | undefined,
        body: body.toString("utf8"),
      });
      const forward = http.request(
        { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      forward.on("error", () => response.writeHead(502).end());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function listUsernames(): Promise<string[]> {
  const res = await fetch(`${server.url}/api.php?action=listusers`, { headers: { "X-API-Key": KEY } });
  return ((await res.json()) as Array<{ username: string }>).map((user) => user.username);
}

/** The step whose code `code` is, within ±2 steps of now (the run took a few seconds at most), by otpauth. */
function stepOf(secret: string, code: string): number | null {
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) });
  return totp.validate({ token: code, window: 2 });
}

let server: LocalServer;
beforeAll(async () => {
  server = await startLocalServer({ apiKeys: { examples: KEY } });
}, 120_000);
afterAll(() => server?.stop());

describe.each(EXAMPLES)("the $language example", (example) => {
  it("computes RFC 6238's test vectors with its own TOTP code", async () => {
    const { args, env } = example.vectors(
      path.join(ROOT, example.file),
      RFC_VECTORS.map(([time]) => time),
    );
    const result = await run(example, args, env);
    expect(result.stderr).toBe("");
    expect(result.stdout.trim().split("\n")).toEqual(RFC_VECTORS.map(([, code]) => code));
    expect(result.code).toBe(0);
  });

  it("enrols, validates once, is refused the replay (code 8) and deletes, with the key in a header and the parameters in a POST body", async () => {
    const proxy = await recordingProxy(server.url);
    const email = `examples-${example.language.toLowerCase()}-${randomBytes(4).toString("hex")}@example.com`;
    try {
      const result = await run(example, example.args(example.file), { TOTP_URL: proxy.url, TOTP_API_KEY: KEY, TOTP_EMAIL: email });
      expect(result.stderr).toBe("");
      const lines = result.stdout.trimEnd().split("\n");
      const userid = /^userid: ([1-9][0-9]*)$/.exec(lines[1] ?? "")?.[1];
      const hashqr = new RegExp(`^hashqr: (${proxy.url}/qr/${userid}\\.svg\\?secret=([A-Z2-7]{32}))$`).exec(lines[2] ?? "");
      const code = /^code: ([0-9]{6})$/.exec(lines[3] ?? "")?.[1];
      expect(lines).toEqual([
        `user: ${email}`,
        `userid: ${userid}`,
        `hashqr: ${hashqr?.[1]}`,
        `code: ${code}`,
        "validate: OTP is valid",
        "validate again: token already used (code 8)",
        "delete: Success: user deleted",
      ]);
      expect(userid && hashqr && code).toBeTruthy();
      expect(result.code).toBe(0);
      // The code is the secret's current one by an independent implementation, not merely one the server took.
      expect(stepOf(hashqr![2]!, code!)).not.toBeNull();

      expect(proxy.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
        "POST /createuser",
        "POST /validate",
        "POST /validate",
        "POST /api.php",
      ]);
      for (const request of proxy.requests) {
        expect(request.apiKeyHeader).toBe(KEY);
        expect(request.contentType).toMatch(/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/);
        expect(request.body).not.toContain(KEY);
      }
      expect(proxy.requests[1]?.body).toContain(code);
      expect(proxy.requests[3]?.body).toContain("deletelocaluser");

      // Deleted for good: gone from the list, and its QR URL answers 404.
      expect(await listUsernames()).not.toContain(email);
      expect((await fetch(hashqr![1]!.replace(proxy.url, server.url))).status).toBe(404);
    } finally {
      await proxy.close();
    }
  });

  it("exits non-zero and says why when an answer is not the expected one (a wrong key)", async () => {
    const result = await run(example, example.args(example.file), {
      TOTP_URL: server.url,
      TOTP_API_KEY: "wrong0key0123456789abcdef",
      TOTP_EMAIL: "never-created@example.com",
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    // A flood guard may answer 429 instead; either way the example must stop and say so.
    expect(result.stderr).toMatch(/^totp-edge example: (createuser: .*invalid api key|\/createuser answered HTTP 429)/);
  });
});

it("all four examples run at the same time with their default user names, and leave no user behind", async () => {
  const results = await Promise.all(
    EXAMPLES.map((example) => run(example, example.args(example.file), { TOTP_URL: server.url, TOTP_API_KEY: KEY, TOTP_EMAIL: "" })),
  );
  const users = results.map((result) => /^user: (example-\d+-\d+@example\.com)$/m.exec(result.stdout)?.[1]);
  for (const result of results) {
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/^validate again: token already used \(code 8\)\ndelete: Success: user deleted\n$/m);
    expect(result.code).toBe(0);
  }
  expect(new Set(users).size).toBe(EXAMPLES.length);
  expect(await listUsernames()).toEqual([]);
});
