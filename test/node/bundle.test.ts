import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle, configProblem, FREE_PLAN_GZIP_LIMIT, type Bundle } from "../../scripts/deploy";
import { readWranglerConfig } from "../../scripts/lib/wrangler-config";
import { DEV_API_KEY } from "../../scripts/dev";
import { TEST_ENCRYPTION_KEYS } from "../../vitest.config";

const ROOT = path.resolve(import.meta.dirname, "../..");
const tmp = mkdtempSync(path.join(tmpdir(), "totp-edge-bundle-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("the deployable bundle (wrangler deploy --dry-run)", () => {
  let bundle: Bundle;
  let code: string;
  beforeAll(() => {
    bundle = buildBundle({ env: "production", outdir: path.join(tmp, "dist") });
    code = bundle.files.map((file) => readFileSync(file, "utf8")).join("\n");
  });

  it("fits the Workers Free plan limit (3 MiB gzip)", () => {
    console.log(
      `bundle: ${(bundle.rawBytes / 1024).toFixed(1)} KiB, gzip ${(bundle.gzipBytes / 1024).toFixed(1)} KiB (limit ${FREE_PLAN_GZIP_LIMIT / 1024} KiB)`,
    );
    expect(bundle.files.map((file) => path.basename(file))).toContain("index.js");
    expect(bundle.gzipBytes).toBeGreaterThan(0);
    expect(bundle.gzipBytes).toBeLessThan(FREE_PLAN_GZIP_LIMIT);
  });

  it("is the app: its routes and error texts are in it", () => {
    // The positive control for the checks below: the scan reads the real bundle.
    for (const text of ["/createuser", "/openapi.json", "invalid api key", "SECRET_ENCRYPTION_KEYS"])
      expect(code.includes(text), text).toBe(true);
  });

  it("contains no test code", () => {
    for (const name of [
      "vitest",
      "cloudflare:test",
      "@cloudflare/vitest-pool-workers",
      "fast-check",
      "otpauth",
      "otplib",
      "jsqr",
      "@seriousme/openapi-schema-validator",
    ]) {
      expect(code, name).not.toMatch(new RegExp(`(from|import|require)\\s*\\(?\\s*["']${name.replace(/[/.]/g, "\\$&")}`));
    }
    // esbuild marks every module it bundles with a `// path` comment: none may come from test/ or a dev dependency.
    const modules = [...code.matchAll(/^\/\/ (\S+\.[cm]?[jt]s)$/gm)].map((match) => match[1]!);
    expect(modules).toContain("src/index.ts");
    expect(
      modules.filter(
        (module) =>
          /^(test|conformance|scripts|bench)\//.test(module) ||
          /node_modules\/(vitest|fast-check|otpauth|otplib|jsqr|@cloudflare\/vitest)/.test(module),
      ),
    ).toEqual([]);
  });

  it("contains no development secrets", () => {
    const secrets = [DEV_API_KEY, TEST_ENCRYPTION_KEYS.split(":")[1]!];
    const devVars = path.join(ROOT, ".dev.vars");
    if (existsSync(devVars)) {
      for (const line of readFileSync(devVars, "utf8").split("\n")) {
        const value = line
          .slice(line.indexOf("=") + 1)
          .replace(/^"|"$/g, "")
          .trim();
        if (line.includes("=") && value.length >= 8)
          secrets.push(value, ...value.split(",").map((entry) => entry.slice(entry.indexOf(":") + 1)));
      }
    }
    for (const secret of secrets) expect(code.includes(secret), "a development secret is in the bundle").toBe(false);
  });
});

describe("wrangler.toml environments", () => {
  it.each(["production", "dev"])("%s has its own D1 binding with migrations, and an ISSUER", async (env) => {
    const config = await readWranglerConfig(env);
    const db = config.d1_databases.find((binding) => binding.binding === "DB");
    expect(db).toMatchObject({ binding: "DB", migrations_dir: "drizzle" });
    expect(config.vars.ISSUER).toMatch(/^[^:]{1,64}$/);
    expect(config.vars.SECRET_ENCRYPTION_KEYS, "the keyring is a secret, never a var").toBeUndefined();
  });

  it("npm run deploy refuses a placeholder database id, and production without PUBLIC_ORIGIN unless told", async () => {
    const config = (id: string, vars = "") => {
      const file = path.join(tmp, `wrangler-${id.slice(0, 4)}${vars ? "-vars" : ""}.toml`);
      writeFileSync(
        file,
        `name = "t"\nmain = "${path.join(ROOT, "src/index.ts")}"\ncompatibility_date = "2026-04-20"\n[env.production]\n[[env.production.d1_databases]]\nbinding = "DB"\ndatabase_name = "totp-edge"\ndatabase_id = "${id}"\n${vars}`,
      );
      return file;
    };
    expect(await configProblem("production", config("00000000-0000-0000-0000-000000000000"))).toMatch(
      /placeholder[\s\S]*npx wrangler d1 create totp-edge/,
    );
    const real = "3f2c9d7e-1b4a-4c8e-9f00-123456789abc";
    // Without PUBLIC_ORIGIN a forged Host header chooses hashqr's origin.
    expect(await configProblem("production", config(real))).toMatch(/no PUBLIC_ORIGIN[\s\S]*--allow-request-origin/);
    expect(await configProblem("production", config(real), { allowRequestOrigin: true })).toBeNull();
    const withOrigin = config(real, `[env.production.vars]\nPUBLIC_ORIGIN = "https://totp.example.com"\n`);
    expect(await configProblem("production", withOrigin)).toBeNull();
  });
});
