// Command-line options of totp-conformance (`npm run conformance --` in the totp-edge repository).
import { readFileSync } from "node:fs";
import path from "node:path";
import { TAGS, type Tag } from "./fixture-types.js";

export interface Options {
  target: string;
  apiKey: string;
  tags: Tag[];
  only: string[];
  report?: string;
  compare?: string;
  compareApiKey?: string;
  /** a directory to save every request and answer in (redacted) */
  record?: string;
  /** a directory holding an earlier recording, compared with this run */
  replay?: string;
}

export const USAGE = `usage: totp-conformance --target URL --api-key KEY [--tags seed,contract] [--only NAME[,NAME]]
                        [--report report.json|report.xml] [--compare URL2 --compare-api-key KEY2]
                        [--record DIR] [--replay DIR]
       totp-conformance --help | --version
(the keys may also come from CONFORMANCE_API_KEY and CONFORMANCE_COMPARE_API_KEY; against an
appliance, run --tags seed: the contract tag checks totp-edge's own decisions)`;

/** The version in package.json, one level above this file both in src/ and in dist/. */
export function toolVersion(): string {
  return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

export class UsageError extends Error {}

const FLAGS = new Set(["--target", "--api-key", "--tags", "--only", "--report", "--compare", "--compare-api-key", "--record", "--replay"]);

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv): Options {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") continue;
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    if (!FLAGS.has(flag)) throw new UsageError(`unknown option ${flag}`);
    const value = inline ?? argv[++i];
    if (value === undefined || value.startsWith("--")) throw new UsageError(`${flag} needs a value`);
    values.set(flag, value);
  }
  const target = values.get("--target");
  const apiKey = values.get("--api-key") ?? env.CONFORMANCE_API_KEY;
  if (!target) throw new UsageError("--target URL is required");
  if (!apiKey) throw new UsageError("--api-key KEY is required");
  const compare = values.get("--compare");
  const compareApiKey = values.get("--compare-api-key") ?? env.CONFORMANCE_COMPARE_API_KEY;
  if (compare && !compareApiKey) throw new UsageError("--compare needs --compare-api-key KEY2");
  for (const url of [target, compare]) if (url !== undefined) checkUrl(url);
  const tags = (values.get("--tags") ?? TAGS.join(","))
    .split(",")
    .map((tag) => tag.trim())
    .filter(Boolean);
  const badTag = tags.find((tag) => !TAGS.includes(tag as Tag));
  if (badTag) throw new UsageError(`unknown tag ${badTag} (tags: ${TAGS.join(", ")})`);
  const only = (values.get("--only") ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const report = values.get("--report");
  if (report && !/\.(json|xml)$/.test(report)) throw new UsageError("--report must name a .json or .xml file");
  const record = values.get("--record");
  const replay = values.get("--replay");
  // A recording holds one target's answers, and a replay takes the place of the second target.
  if (record && compare) throw new UsageError("--record records one target: run it without --compare");
  if (replay && compare) throw new UsageError("--replay compares with a recording instead of a second server: drop --compare");
  if (record && replay && path.resolve(record) === path.resolve(replay))
    throw new UsageError("--record and --replay need two different directories");
  return { target, apiKey, tags: tags as Tag[], only, report, compare, compareApiKey, record, replay };
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`not a URL: ${url}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new UsageError(`not an http(s) URL: ${url}`);
}
