// Compare mode: the same fixtures ran against two targets; list, per step, the observed fields
// whose normalized values differ, as a side-by-side table.
import type { StepResult } from "./runner.js";

export interface DifferenceRow {
  step: string;
  field: string;
  a: string;
  b: string;
}

export function differingFields(resultsA: StepResult[], resultsB: StepResult[]): DifferenceRow[] {
  const key = (result: StepResult) => `${result.fixture} › ${result.step}`;
  const byKeyB = new Map(resultsB.map((result) => [key(result), result]));
  const rows: DifferenceRow[] = [];
  const seen = new Set<string>();
  for (const a of resultsA) {
    const step = key(a);
    seen.add(step);
    const b = byKeyB.get(step);
    if (!b) {
      rows.push({ step, field: "step", a: verdict(a), b: "(not run)" });
      continue;
    }
    if (a.passed !== b.passed) rows.push({ step, field: "verdict", a: verdict(a), b: verdict(b) });
    for (const field of new Set([...a.observation.keys(), ...b.observation.keys()])) {
      const valueA = a.observation.get(field) ?? "(absent)";
      const valueB = b.observation.get(field) ?? "(absent)";
      if (valueA !== valueB) rows.push({ step, field, a: valueA, b: valueB });
    }
  }
  for (const b of resultsB) if (!seen.has(key(b))) rows.push({ step: key(b), field: "step", a: "(not run)", b: verdict(b) });
  return rows;
}

function verdict(result: StepResult): string {
  return result.passed ? "PASS" : result.error ? `FAIL (${result.error})` : "FAIL";
}

const MAX_COLUMN = 48;

export function formatTable(rows: DifferenceRow[], labelA: string, labelB: string): string {
  const header: DifferenceRow = { step: "step", field: "field", a: labelA, b: labelB };
  const all = [header, ...rows].map((row) => ({ step: cut(row.step, 60), field: cut(row.field, 28), a: cut(row.a), b: cut(row.b) }));
  const width = (column: keyof DifferenceRow) => Math.max(...all.map((row) => row[column].length));
  const widths = { step: width("step"), field: width("field"), a: width("a"), b: width("b") };
  const line = (row: DifferenceRow) =>
    `${row.step.padEnd(widths.step)} | ${row.field.padEnd(widths.field)} | ${row.a.padEnd(widths.a)} | ${row.b}`;
  const [first, ...rest] = all;
  return [
    line(first as DifferenceRow),
    `${"-".repeat(widths.step)}-+-${"-".repeat(widths.field)}-+-${"-".repeat(widths.a)}-+-${"-".repeat(widths.b)}`,
    ...rest.map(line),
  ].join("\n");
}

function cut(text: string, max = MAX_COLUMN): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
