import type { D1Migration } from "@cloudflare/vitest-pool-workers";
import type { Env as WorkerEnv } from "../src/config";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      /** Test-only binding (vitest.config.ts): the migrations that test/apply-migrations.ts applies. */
      TEST_MIGRATIONS: D1Migration[];
      FUZZ_RUNS?: string;
      FUZZ_SEED?: string;
    }
  }
}
