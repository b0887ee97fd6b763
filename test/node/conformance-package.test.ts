// The conformance suite as an appliance owner gets it: `npm pack` in conformance/, the tarball
// installed into an empty folder far from this repository (so nothing resolves to our
// node_modules or src/), then `npx totp-conformance` against wrangler dev.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalServer, type LocalServer } from "../../scripts/lib/local-server";

const run = promisify(execFile);
const PACKAGE_DIR = path.resolve("conformance");
// Letters and digits only, like the keys `npm run apikey` generates (the shape clients such as the
// WordPress plugin can store).
const KEY = `pkg${randomBytes(12).toString("hex")}`;

/** This test's own npm runs must not inherit the settings of the `npm test` that started vitest. */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_(config|package|lifecycle)_/i.test(name)));
}

interface PackResult {
  filename: string;
  size: number;
  files: Array<{ path: string }>;
}

let scratch: string;
let tarball: PackResult;
let installDir: string;
let server: LocalServer | undefined;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), "conformance-package-"));
  const packed = await run("npm", ["pack", "--json", "--pack-destination", scratch], { cwd: PACKAGE_DIR, env: npmEnv() });
  // prepack's build writes its banner to stdout before npm's JSON.
  tarball = (JSON.parse(packed.stdout.slice(packed.stdout.indexOf("[\n"))) as PackResult[])[0] as PackResult;
  installDir = path.join(scratch, "owner");
  mkdirSync(installDir);
  // An empty project of its own, so npm does not look for one in a parent directory.
  writeFileSync(path.join(installDir, "package.json"), '{ "name": "appliance-owner", "private": true }\n');
  await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", path.join(scratch, tarball.filename)], {
    cwd: installDir,
    env: npmEnv(),
  });
  server = await startLocalServer({ apiKeys: { owner: KEY } });
}, 240_000);

afterAll(async () => {
  await server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("the totp-conformance package", () => {
  it("ships the built JavaScript, the fixtures, its README and package.json, and nothing else", () => {
    const files = tarball.files.map((file) => file.path).sort();
    const unexpected = files.filter((file) => !/^(dist\/.+\.js|fixtures\/[\w-]+\.json|README\.md|package\.json)$/.test(file));
    expect(unexpected).toEqual([]);
    expect(files).toContain("dist/cli.js");
    expect(files).toContain("README.md"); // the owner's instructions travel with the tool
    const fixtures = readdirSync(path.join(PACKAGE_DIR, "fixtures")).map((name) => `fixtures/${name}`);
    expect(files.filter((file) => file.startsWith("fixtures/"))).toEqual(fixtures.sort());
  });

  it("installs with otpauth as its only dependency: no wrangler, hono, drizzle or code of the server", () => {
    const installed = readdirSync(path.join(installDir, "node_modules")).filter((name) => !name.startsWith("."));
    expect(installed.sort()).toEqual(["@noble", "otpauth", "totp-conformance"]);
    const manifest = JSON.parse(readFileSync(path.join(installDir, "node_modules/totp-conformance/package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    expect(manifest.dependencies).toEqual({ otpauth: "9.5.2" });
    const code = readdirSync(path.join(installDir, "node_modules/totp-conformance/dist"), { recursive: true, encoding: "utf8" })
      .filter((name) => name.endsWith(".js"))
      .map((name) => readFileSync(path.join(installDir, "node_modules/totp-conformance/dist", name), "utf8"))
      .join("\n");
    const imported = new Set([...code.matchAll(/\bfrom "([^"]+)"/g)].map((match) => match[1] as string));
    expect(imported).toContain("./runner.js"); // the pattern does see the imports
    expect([...imported].filter((name) => !name.startsWith("node:") && !name.startsWith("."))).toEqual(["otpauth"]);
  });

  it("runs from the empty folder with npx and passes every step against wrangler dev", async () => {
    // `--no --`: npx must not fetch a package of that name from the registry if the install failed,
    // and after `--` it passes every option to the command (before it, npm would parse them).
    const result = await run("npx", ["--no", "--", "totp-conformance", "--target", server?.url ?? "", "--api-key", KEY], {
      cwd: installDir,
      env: npmEnv(),
    }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout + error.stderr }),
    );
    const tally = /^(\d+) passed, (\d+) failed$/m.exec(result.stdout);
    expect(result.stdout.split("\n").filter((line) => line.startsWith("FAIL"))).toEqual([]);
    expect(Number(tally?.[1]), result.stdout).toBeGreaterThanOrEqual(60);
    expect(tally?.[2]).toBe("0");
    expect(result.code).toBe(0);
  });
});
