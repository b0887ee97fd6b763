// npm run conformance -- --target URL --api-key KEY [...]: see conformance/README.md.
import { randomBytes } from "node:crypto";
import { parseArgs, USAGE, UsageError, type Options } from "./args.js";
import { differingFields, formatTable } from "./compare.js";
import { FixtureError, loadFixtures, selectFixtures } from "./load-fixtures.js";
import { closingLine, stepLine } from "./output.js";
import { RunIdentity } from "./placeholders.js";
import { preflight } from "./preflight.js";
import { Redactor } from "./redact.js";
import { writeReport } from "./report.js";
import { TargetRunner, type StepResult, type Target } from "./runner.js";

const EXIT_SETUP_ERROR = 2;

async function main(argv: string[]): Promise<number> {
  let options: Options;
  try {
    options = parseArgs(argv, process.env);
  } catch (error) {
    if (error instanceof UsageError) return setupError(`${error.message}\n${USAGE}`);
    throw error;
  }
  let fixtures;
  try {
    fixtures = selectFixtures(loadFixtures(), options.tags, options.only);
  } catch (error) {
    if (error instanceof FixtureError || error instanceof SyntaxError) return setupError(error.message);
    throw error;
  }

  const targets: Target[] = [{ label: "A", url: options.target, apiKey: options.apiKey }];
  if (options.compare && options.compareApiKey) targets.push({ label: "B", url: options.compare, apiKey: options.compareApiKey });
  for (const target of targets) {
    const problem = await preflight(target);
    if (problem) return setupError(problem);
  }

  const identity = new RunIdentity(randomBytes(3).toString("hex"));
  const redactor = new Redactor();
  const interrupt = new AbortController();
  const runners = targets.map((target) => new TargetRunner(target, identity, redactor, interrupt.signal));
  const comparing = runners.length > 1;
  const results = new Map<string, StepResult[]>(targets.map((target) => [target.label, []]));
  const print = (line: string) => console.log(redactor.apply(line));

  let signalName: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalName) process.exit(130); // a second Ctrl-C: stop waiting for the cleanup
    signalName = signal;
    console.error(`${signal}: stopping; deleting the users this run created (tecf-${identity.runId}-*)…`);
    interrupt.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  print(`conformance run ${identity.runId}: ${fixtures.length} fixture(s), ${fixtures.reduce((n, f) => n + f.steps.length, 0)} step(s) against ${targets.map((t) => `${t.label}=${t.url}`).join(" and ")}`);
  try {
    for (const fixture of fixtures) {
      if (interrupt.signal.aborted) break;
      await Promise.all(
        runners.map((runner) =>
          runner.runFixture(fixture, (result) => {
            if (interrupt.signal.aborted) return;
            results.get(runner.target.label)?.push(result);
            if (!comparing) print(stepLine(result, false));
          }),
        ),
      );
      if (comparing) for (const label of results.keys()) for (const result of results.get(label) ?? []) if (result.fixture === fixture.name) print(stepLine(result, true));
    }
  } finally {
    // Whatever happened above, leave no user of this run behind.
    for (const runner of runners) {
      const problems = [...(await runner.users.deleteAll()), ...(await runner.users.sweep())];
      if (problems.length > 0) {
        const result: StepResult = { fixture: "run", tag: "seed", step: "final cleanup", target: runner.target.label, passed: false, differences: [], error: problems.join("; "), observation: new Map(), durationMs: 0 };
        results.get(runner.target.label)?.push(result);
        print(stepLine(result, comparing));
      }
    }
  }

  const all = [...results.values()].flat();
  let differences = 0;
  if (comparing) {
    const rows = differingFields(results.get("A") ?? [], results.get("B") ?? []);
    differences = rows.length;
    print("");
    print(rows.length === 0 ? "No differences between A and B." : `${rows.length} difference(s) between A=${options.target} and B=${options.compare}:\n${formatTable(rows, "A", "B")}`);
  }
  if (options.report) writeReport(options.report, all, redactor);
  print(closingLine(all));
  if (signalName) return signalName === "SIGINT" ? 130 : 143;
  return all.some((result) => !result.passed) || differences > 0 ? 1 : 0;
}

function setupError(message: string): number {
  console.error(`conformance: ${message}`);
  return EXIT_SETUP_ERROR;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`conformance: internal error: ${(error as Error).message}`);
    process.exit(EXIT_SETUP_ERROR);
  },
);
