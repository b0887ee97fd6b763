import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// miniflare would otherwise try to download Request.cf data from Cloudflare (no internet here).
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";

/** A fixed keyring for tests only; real deployments set SECRET_ENCRYPTION_KEYS as a Worker secret. */
export const TEST_ENCRYPTION_KEYS = `t1:${Buffer.alloc(32, 7).toString("base64")}`;

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "drizzle"));
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  SECRET_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
                  // One log line per request doubles the time of the 1,000-request tests (the pool
                  // forwards every console call); test/request-log.test.ts turns it back on.
                  REQUEST_LOG: "off",
                  // `npm run fuzz -- --runs N --seed S` passes these through to test/security/fuzz.test.ts.
                  FUZZ_RUNS: process.env.FUZZ_RUNS ?? "10000",
                  FUZZ_SEED: process.env.FUZZ_SEED ?? "20261125",
                },
              },
            }),
          ],
          test: {
            name: "workers",
            include: ["test/**/*.test.ts"],
            exclude: ["test/node/**"],
            setupFiles: ["./test/apply-migrations.ts"],
            // The concurrency tests send 1,000 requests each; on 2 loaded cores that can pass 5 s.
            // A timeout is a hang detector here, never a performance assertion.
            testTimeout: 30_000,
          },
        },
        {
          // Tests that drive real processes: wrangler dev, the CLIs.
          test: { name: "node", environment: "node", include: ["test/node/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 120_000 },
        },
      ],
    },
  };
});
