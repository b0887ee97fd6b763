// --record DIR writes one JSON file per step (the request, the answer and what compare mode
// observes of it, redacted), so that a run against an appliance can be attached to a report.
// --replay DIR reads the steps back as the second target of a comparison, without that server.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Tag } from "./fixture-types.js";
import type { Difference } from "./match.js";
import { redactAnswerBody, redactFields, redactHeaders, redactParameters, type Redactor } from "./redact.js";
import type { Exchange, StepResult } from "./runner.js";

const INDEX_FILE = "run.json";

export interface RecordingIndex {
  tool: string;
  target: string;
  runId: string;
  startedAt: string;
  finishedAt?: string;
  tags: Tag[];
  fixtures: string[];
  passed?: number;
  failed?: number;
  interrupted?: boolean;
}

interface RecordedStep {
  fixture: string;
  tag: Tag;
  step: string;
  passed: boolean;
  error?: string;
  differences: Difference[];
  /** compare mode's normalized fields: what --replay compares */
  observed: Record<string, string>;
  request?: { method: string; url: string; headers: Record<string, string>; body?: string; multipart?: Record<string, string> };
  answer?: { status: number; headers: Record<string, string>; body: string };
}

export class RecordingError extends Error {}

export class Recorder {
  private readonly stepsPerFixture = new Map<string, number>();

  private constructor(
    private readonly directory: string,
    private readonly index: RecordingIndex,
    private readonly redactor: Redactor,
    private readonly ownsItem: (item: unknown) => boolean,
  ) {}

  /** Refuses a directory that holds anything: a recording never overwrites or mixes with other files. */
  static create(directory: string, index: RecordingIndex, redactor: Redactor, ownsItem: (item: unknown) => boolean): Recorder {
    let entries: string[] = [];
    try {
      entries = readdirSync(directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT")
        throw new RecordingError(`--record ${directory}: ${(error as Error).message}`);
    }
    if (entries.length > 0)
      throw new RecordingError(`--record ${directory}: the directory is not empty (a recording goes into a new or empty one)`);
    mkdirSync(directory, { recursive: true });
    const recorder = new Recorder(directory, index, redactor, ownsItem);
    recorder.writeIndex();
    return recorder;
  }

  write(result: StepResult, exchange?: Exchange): void {
    const number = (this.stepsPerFixture.get(result.fixture) ?? 0) + 1;
    this.stepsPerFixture.set(result.fixture, number);
    const apply = (text: string) => this.redactor.apply(text);
    const step: RecordedStep = {
      fixture: result.fixture,
      tag: result.tag,
      step: result.step,
      passed: result.passed,
      error: result.error === undefined ? undefined : apply(result.error),
      differences: result.differences.map((d) => ({ where: d.where, expected: apply(d.expected), actual: apply(d.actual) })),
      observed: Object.fromEntries([...result.observation].map(([field, value]) => [field, apply(value)])),
    };
    if (exchange) {
      const { request, answer } = exchange;
      step.request = { method: request.method, url: apply(redactParameters(request.url.href)), headers: redactHeaders(request.headers) };
      if (typeof request.body === "string") step.request.body = apply(redactParameters(request.body));
      else if (request.body) step.request.multipart = redactFields([...request.body].map(([name, value]) => [name, apply(String(value))]));
      const body = redactAnswerBody(answer.body, answer.headers.get("content-type") ?? "", this.ownsItem);
      step.answer = { status: answer.status, headers: redactHeaders(answer.headers), body: apply(body) };
    }
    const folder = path.join(this.directory, result.fixture);
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, `${String(number).padStart(2, "0")}-${slug(result.step)}.json`), `${JSON.stringify(step, null, 2)}\n`);
  }

  finish(results: StepResult[], interrupted: boolean): void {
    const passed = results.filter((result) => result.passed).length;
    Object.assign(this.index, { finishedAt: new Date().toISOString(), passed, failed: results.length - passed, interrupted });
    this.writeIndex();
  }

  private writeIndex(): void {
    writeFileSync(path.join(this.directory, INDEX_FILE), `${JSON.stringify(this.index, null, 2)}\n`);
  }
}

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 60) || "step"
  );
}

export interface Recording {
  index: RecordingIndex;
  /** as results of a target labelled `label`, in the recorded order */
  results: StepResult[];
}

export function readRecording(directory: string, label: string): Recording {
  let index: RecordingIndex;
  try {
    index = JSON.parse(readFileSync(path.join(directory, INDEX_FILE), "utf8")) as RecordingIndex;
  } catch (error) {
    throw new RecordingError(`--replay ${directory}: not a recording (${INDEX_FILE}: ${(error as Error).message})`);
  }
  const results: StepResult[] = [];
  const folders = readdirSync(directory, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  for (const folder of folders) {
    const files = readdirSync(path.join(directory, folder)).filter((name) => /^\d+-.*\.json$/.test(name));
    for (const file of files.sort((a, b) => parseInt(a, 10) - parseInt(b, 10))) {
      let step: RecordedStep;
      try {
        step = JSON.parse(readFileSync(path.join(directory, folder, file), "utf8")) as RecordedStep;
      } catch (error) {
        throw new RecordingError(`--replay ${directory}: ${folder}/${file}: ${(error as Error).message}`);
      }
      results.push({
        fixture: step.fixture,
        tag: step.tag,
        step: step.step,
        target: label,
        passed: step.passed,
        differences: step.differences ?? [],
        error: step.error,
        observation: new Map(Object.entries(step.observed ?? {})),
        durationMs: 0,
      });
    }
  }
  return { index, results };
}
