// npm run fuzz -- [--runs N] [--seed S]: the fuzz test of test/security/fuzz.test.ts at any size.
// Without --seed a random seed is drawn and printed, so a failure can be replayed with it.
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { runIfEntryPoint } from "./lib/cli";
import { ROOT } from "./lib/wrangler";

function main(): void {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "100000" }, seed: { type: "string" } } });
  const seed = values.seed ?? String(Math.floor(Math.random() * 2 ** 31));
  if (!/^\d+$/.test(values.runs) || !/^-?\d+$/.test(seed)) {
    console.error("usage: npm run fuzz -- [--runs N] [--seed S]");
    process.exit(2);
  }
  console.log(`fuzzing with ${values.runs} runs, seed ${seed} (replay: npm run fuzz -- --runs ${values.runs} --seed ${seed})`);
  const result = spawnSync("npx", ["vitest", "run", "--project", "workers", "test/security/fuzz.test.ts"], {
    cwd: ROOT,
    stdio: "inherit",
    env: { ...process.env, FUZZ_RUNS: values.runs, FUZZ_SEED: seed },
  });
  process.exit(result.status ?? 1);
}

runIfEntryPoint(import.meta.url, main);
