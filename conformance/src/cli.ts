#!/usr/bin/env node
// totp-conformance --target URL --api-key KEY [...]: see README.md.
import { randomBytes } from "node:crypto";
import { parseArgs, toolVersion, USAGE, UsageError, type Options } from "./args.js";
import { differingFields, formatTable } from "./compare.js";
import type { Fixture } from "./fixture-types.js";
import { FixtureError, loadFixtures, selectFixtures } from "./load-fixtures.js";
import { closingLine, stepLine } from "./output.js";
import { RunIdentity } from "./placeholders.js";
import { preflight } from "./preflight.js";
import { readRecording, Recorder, RecordingError, type Recording } from "./recording.js";
import { Redactor } from "./redact.js";
import { writeReport } from "./report.js";
import { TargetRunner, type StepResult, type Target } from "./runner.js";

const EXIT_SETUP_ERROR = 2;

async function main(argv: string[]): Promise<number> {
  if (argv.some((arg) => arg === "--help" || arg === "-h")) return info(USAGE);
  if (argv.includes("--version")) return info(toolVersion());
  let options: Options;
  let fixtures: Fixture[];
  let recording: Recording | undefined;
  try {
    options = parseArgs(argv, process.env);
    fixtures = selectFixtures(loadFixtures(), options.tags, options.only);
    if (options.replay) {
      recording = readRecording(options.replay, "B");
      const recorded = new Set(recording.index.fixtures);
      fixtures = fixtures.filter((fixture) => recorded.has(fixture.name));
      if (fixtures.length === 0)
        throw new RecordingError(
          `--replay ${options.replay}: the recording holds none of the selected fixtures (it has ${[...recorded].join(", ")})`,
        );
    }
  } catch (error) {
    if (error instanceof UsageError) return setupError(`${error.message}\n${USAGE}`);
    if (error instanceof FixtureError || error instanceof SyntaxError || error instanceof RecordingError) return setupError(error.message);
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
  let recorder: Recorder | undefined;
  if (options.record) {
    const index = {
      tool: `totp-conformance ${toolVersion()}`,
      target: withoutCredentials(options.target),
      runId: identity.runId,
      startedAt: new Date().toISOString(),
      tags: options.tags,
      fixtures: fixtures.map((fixture) => fixture.name),
    };
    try {
      recorder = Recorder.create(options.record, index, redactor, (item) => identity.ownsItem(item));
    } catch (error) {
      if (error instanceof RecordingError) return setupError(error.message);
      throw error;
    }
  }

  let signalName: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalName) process.exit(130); // a second Ctrl-C: stop waiting for the cleanup
    signalName = signal;
    console.error(`${signal}: stopping; deleting the users this run created (tecf-${identity.runId}-*)…`);
    interrupt.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  print(
    `conformance run ${identity.runId}: ${fixtures.length} fixture(s), ${fixtures.reduce((n, f) => n + f.steps.length, 0)} step(s) against ${targets.map((t) => `${t.label}=${t.url}`).join(" and ")}`,
  );
  try {
    for (const fixture of fixtures) {
      if (interrupt.signal.aborted) break;
      await Promise.all(
        runners.map((runner) =>
          runner.runFixture(fixture, (result, exchange) => {
            if (interrupt.signal.aborted) return;
            results.get(runner.target.label)?.push(result);
            recorder?.write(result, exchange);
            if (!comparing) print(stepLine(result, false));
          }),
        ),
      );
      if (comparing)
        for (const label of results.keys())
          for (const result of results.get(label) ?? []) if (result.fixture === fixture.name) print(stepLine(result, true));
    }
  } finally {
    // Whatever happened above, leave no user of this run behind.
    for (const runner of runners) {
      const problems = [...(await runner.users.deleteAll()), ...(await runner.users.sweep())];
      if (problems.length > 0) {
        const result: StepResult = {
          fixture: "run",
          tag: "seed",
          step: "final cleanup",
          target: runner.target.label,
          passed: false,
          differences: [],
          error: problems.join("; "),
          observation: new Map(),
          durationMs: 0,
        };
        results.get(runner.target.label)?.push(result);
        recorder?.write(result);
        print(stepLine(result, comparing));
      }
    }
  }

  const all = [...results.values()].flat();
  recorder?.finish(all, signalName !== undefined);
  let differences = 0;
  const other = comparing
    ? { label: `B=${options.compare}`, results: results.get("B") ?? [] }
    : recording && otherFromRecording(recording, fixtures, options.replay as string);
  if (other) {
    let resultsA = results.get("A") ?? [];
    // The recording's values went through its own redaction; the same redaction here keeps a
    // secret that a server echoes from showing up as a difference.
    if (recording)
      resultsA = resultsA.map((result) => ({
        ...result,
        observation: new Map([...result.observation].map(([field, value]) => [field, redactor.apply(value)])),
      }));
    const rows = differingFields(resultsA, other.results);
    differences = rows.length;
    print("");
    print(
      rows.length === 0
        ? `No differences between A=${options.target} and ${other.label}.`
        : `${rows.length} difference(s) between A=${options.target} and ${other.label}:\n${formatTable(rows, "A", "B")}`,
    );
  }
  if (options.report) writeReport(options.report, all, redactor);
  print(closingLine(all));
  if (signalName) return signalName === "SIGINT" ? 130 : 143;
  return all.some((result) => !result.passed) || differences > 0 ? 1 : 0;
}

/** The recorded steps of the fixtures this run ran (and a failed final cleanup, if recorded). */
function otherFromRecording(recording: Recording, fixtures: Fixture[], directory: string): { label: string; results: StepResult[] } {
  const names = new Set(fixtures.map((fixture) => fixture.name));
  const { target, startedAt } = recording.index;
  return {
    label: `B=${target} (recorded ${startedAt} in ${directory})`,
    results: recording.results.filter((result) => names.has(result.fixture) || result.fixture === "run"),
  };
}

/** A recording names its target; a password in the URL stays out of it. */
function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  if (!parsed.username && !parsed.password) return url;
  parsed.username = "";
  parsed.password = "";
  return parsed.href;
}

function info(text: string): number {
  console.log(text);
  return 0;
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
