// The human-readable lines: one per step, then the closing tally.
import type { StepResult } from "./runner.js";

export function describeResult(result: StepResult): string {
  if (result.error) return result.error;
  return result.differences.map((d) => `${d.where}: expected ${d.expected}, got ${d.actual}`).join("; ");
}

export function stepLine(result: StepResult, showTarget: boolean): string {
  const where = `${showTarget ? `[${result.target}] ` : ""}${result.fixture} › ${result.step}`;
  return result.passed ? `PASS ${where}` : `FAIL ${where}: ${describeResult(result)}`;
}

export function closingLine(results: StepResult[]): string {
  const passed = results.filter((r) => r.passed).length;
  return `${passed} passed, ${results.length - passed} failed`;
}
