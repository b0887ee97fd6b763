// Runs fixtures against one target: expands each step, sends it, compares, captures, and deletes
// the users a fixture created before the next fixture starts.
import type { Fixture, Step, Tag } from "./fixture-types.js";
import { prepareRequest, sendPrepared, TargetUnreachable, type ExpandedRequest, type PreparedRequest } from "./http-client.js";
import { LiveUsers, SafetyLimitError } from "./live-users.js";
import { compareAnswer, type Difference, type HttpAnswer } from "./match.js";
import { observe, type Observation } from "./observe.js";
import { parseBody } from "./parse/body.js";
import type { ParsedRecord } from "./parse/parsed-body.js";
import { PlaceholderError, Scope, usesTotp, type RunIdentity } from "./placeholders.js";
import type { Redactor } from "./redact.js";
import { waitBeforeToken } from "./totp.js";

export interface Target {
  label: string;
  url: string;
  apiKey: string;
}

export interface StepResult {
  fixture: string;
  tag: Tag;
  step: string;
  target: string;
  passed: boolean;
  differences: Difference[];
  /** set when the step could not be sent or checked at all */
  error?: string;
  observation: Observation;
  durationMs: number;
}

/** What went over the wire for one step, for --record. */
export interface Exchange {
  request: PreparedRequest;
  answer: HttpAnswer;
}

export type ReportStep = (result: StepResult, exchange?: Exchange) => void;

export class TargetRunner {
  readonly users: LiveUsers;

  constructor(
    readonly target: Target,
    private readonly identity: RunIdentity,
    private readonly redactor: Redactor,
    private readonly signal: AbortSignal,
  ) {
    redactor.add(target.apiKey);
    this.users = new LiveUsers(target.url, target.apiKey, `tecf-${identity.runId}-`);
  }

  async runFixture(fixture: Fixture, report: ReportStep): Promise<void> {
    const scope = new Scope(this.identity, Date.now);
    scope.set("apiKey", this.target.apiKey);
    scope.set("origin", new URL(this.target.url).origin);
    scope.set("runId", this.identity.runId);
    try {
      for (const step of fixture.steps) {
        if (this.signal.aborted) return;
        const { result, exchange } = await this.runStep(fixture, step, scope);
        report(result, exchange);
      }
    } finally {
      const problems = this.signal.aborted ? [] : await this.users.deleteAll();
      if (problems.length > 0) {
        report({
          fixture: fixture.name,
          tag: fixture.tag,
          step: "cleanup",
          target: this.target.label,
          passed: false,
          differences: [],
          error: problems.join("; "),
          observation: new Map(),
          durationMs: 0,
        });
      }
    }
  }

  private async runStep(fixture: Fixture, step: Step, scope: Scope): Promise<{ result: StepResult; exchange?: Exchange }> {
    const started = Date.now();
    const result = (fields: Partial<StepResult>): { result: StepResult } => ({
      result: {
        fixture: fixture.name,
        tag: fixture.tag,
        step: step.name,
        target: this.target.label,
        passed: false,
        differences: [],
        observation: new Map(),
        durationMs: Date.now() - started,
        ...fields,
      },
    });
    if (usesTotp(JSON.stringify(step.request))) await sleep(waitBeforeToken(Date.now()));
    let request: ExpandedRequest;
    try {
      request = expandRequest(step, scope);
    } catch (error) {
      if (error instanceof PlaceholderError) return result({ error: error.message });
      throw error;
    }
    const creating = isCreateUser(request) ? this.reserveUser(request) : undefined;
    if (creating instanceof SafetyLimitError) return result({ error: creating.message });
    const prepared = prepareRequest(this.target.url, request);
    let answer: HttpAnswer;
    try {
      answer = await sendPrepared(prepared, this.signal);
    } catch (error) {
      // An unanswered createuser may still have created the user: it stays reserved for cleanup.
      if (error instanceof TargetUnreachable) return result({ error: error.message });
      throw error;
    }
    if (creating) this.users.settle(creating, answer);
    // Every secret an answer holds, captured or not, so that no output or recording shows it.
    this.redactor.addSecretsOf(answer.body);
    this.capture(step, answer, request, scope);
    const differences = compareAnswer(step.expect, answer, scope);
    return {
      ...result({
        passed: differences.length === 0,
        differences,
        observation: observe(step.expect, answer, (item) => this.identity.ownsItem(item)),
      }),
      exchange: { request: prepared, answer },
    };
  }

  private reserveUser(request: ExpandedRequest): ReturnType<LiveUsers["reserve"]> | SafetyLimitError {
    try {
      return this.users.reserve({ ...request.query, ...request.form, ...request.multipart });
    } catch (error) {
      if (error instanceof SafetyLimitError) return error;
      throw error;
    }
  }

  private capture(step: Step, answer: HttpAnswer, request: ExpandedRequest, scope: Scope): void {
    for (const [name, parameter] of Object.entries(step.captureRequest ?? {})) {
      const value = request.query[parameter] ?? request.form?.[parameter] ?? request.multipart?.[parameter];
      if (value !== undefined) scope.set(name, value);
    }
    const format = step.expect.body?.format;
    if (!step.capture || (format !== "json" && format !== "php" && format !== "xml")) return;
    try {
      for (const [field, value] of (parseBody(format, answer.body) as ParsedRecord).entries) scope.set(`${step.capture}.${field}`, value);
    } catch {
      // the comparison reports the unparsable body
    }
  }
}

function expandRequest(step: Step, scope: Scope): ExpandedRequest {
  const expandAll = (values: Record<string, string> | undefined) =>
    values && Object.fromEntries(Object.entries(values).map(([name, value]) => [name, scope.expand(value)]));
  const { request } = step;
  return {
    method: request.method,
    path: scope.expand(request.path),
    query: expandAll(request.query) ?? {},
    form: expandAll(request.form),
    multipart: expandAll(request.multipart),
    rawBody: request.rawBody === undefined ? undefined : scope.expand(request.rawBody),
    contentType: request.contentType,
    headers: expandAll(request.headers) ?? {},
  };
}

function isCreateUser(request: ExpandedRequest): boolean {
  return /^\/createuser\/?$/.test(new URL(request.path, "http://x").pathname);
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
