// Writes the results as JSON or as JUnit XML (chosen by the file extension).
import { writeFileSync } from "node:fs";
import type { StepResult } from "./runner.js";
import { describeResult } from "./output.js";
import type { Redactor } from "./redact.js";

export function writeReport(file: string, results: StepResult[], redactor: Redactor): void {
  const text = file.endsWith(".xml") ? junit(results, redactor) : json(results);
  writeFileSync(file, redactor.apply(text));
}

function json(results: StepResult[]): string {
  const passed = results.filter((r) => r.passed).length;
  return `${JSON.stringify(
    {
      passed,
      failed: results.length - passed,
      steps: results.map(({ observation, ...result }) => ({ ...result, observed: Object.fromEntries(observation) })),
    },
    null,
    2,
  )}\n`;
}

function junit(results: StepResult[], redactor: Redactor): string {
  const suites = new Map<string, StepResult[]>();
  for (const result of results) {
    const key = `${result.target} ${result.fixture}`;
    suites.set(key, [...(suites.get(key) ?? []), result]);
  }
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="totp-edge conformance" tests="${results.length}" failures="${results.filter((r) => !r.passed).length}">`,
  ];
  for (const [name, steps] of suites) {
    lines.push(`  <testsuite name="${escapeXml(name)}" tests="${steps.length}" failures="${steps.filter((s) => !s.passed).length}">`);
    for (const step of steps) {
      const open = `    <testcase classname="${escapeXml(`${step.tag}.${step.fixture}`)}" name="${escapeXml(step.step)}" time="${(step.durationMs / 1000).toFixed(3)}"`;
      if (step.passed) lines.push(`${open}/>`);
      else lines.push(`${open}>`, `      <failure message="${escapeXml(redactor.apply(describeResult(step)))}"/>`, "    </testcase>");
    }
    lines.push("  </testsuite>");
  }
  lines.push("</testsuites>", "");
  return lines.join("\n");
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
