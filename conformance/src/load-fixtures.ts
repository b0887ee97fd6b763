// Reads fixtures/*.json and checks their shape, so a typo in a fixture is reported as
// such instead of as a mysterious failure against the target.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { TAGS, type Fixture, type Tag } from "./fixture-types.js";

// One level above this file both in src/ (run through tsx) and in dist/ (the installed package).
const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/", import.meta.url));

export class FixtureError extends Error {}

export function loadFixtures(directory = FIXTURES_DIR): Fixture[] {
  const files = readdirSync(directory)
    .filter((name) => name.endsWith(".json"))
    .sort();
  const fixtures = files.map((file) => checkFixture(JSON.parse(readFileSync(path.join(directory, file), "utf8")) as unknown, file));
  const names = new Set<string>();
  for (const fixture of fixtures) {
    if (names.has(fixture.name)) throw new FixtureError(`two fixtures are named ${fixture.name}`);
    names.add(fixture.name);
  }
  return fixtures;
}

export function selectFixtures(fixtures: Fixture[], tags: Tag[], only: string[]): Fixture[] {
  const unknown = only.filter((name) => !fixtures.some((fixture) => fixture.name === name));
  if (unknown.length > 0)
    throw new FixtureError(`no fixture named ${unknown.join(", ")} (known: ${fixtures.map((f) => f.name).join(", ")})`);
  return fixtures.filter((fixture) => tags.includes(fixture.tag) && (only.length === 0 || only.includes(fixture.name)));
}

function checkFixture(value: unknown, file: string): Fixture {
  const fail = (message: string): never => {
    throw new FixtureError(`fixtures/${file}: ${message}`);
  };
  const fixture = value as Partial<Fixture>;
  if (typeof fixture.name !== "string") fail("missing name");
  if (!TAGS.includes(fixture.tag as Tag)) fail(`tag must be one of ${TAGS.join(", ")}`);
  if (!Array.isArray(fixture.steps) || fixture.steps.length === 0) fail("no steps");
  const stepNames = new Set<string>();
  fixture.steps?.forEach((step, index) => {
    if (stepNames.has(step?.name)) fail(`two steps are named ${step.name}`);
    stepNames.add(step?.name);
    const where = `step ${index + 1} (${step?.name ?? "unnamed"})`;
    if (typeof step?.name !== "string") fail(`${where}: missing name`);
    if (typeof step?.request?.method !== "string" || typeof step.request.path !== "string") fail(`${where}: request needs method and path`);
    if (typeof step?.expect?.status !== "number") fail(`${where}: expect needs a status`);
  });
  return fixture as Fixture;
}
