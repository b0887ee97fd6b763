// `npm test`'s first step: the programs the node tests drive, which npm cannot install. Missing
// ones are installed with one apt-get run when this machine allows it (root, or sudo without a
// password); otherwise it names the command to run and stops before any test. Without this, a
// test file whose setup cannot start its browser fails and vitest counts its tests as skipped,
// under a summary that reads like a pass. This is the only list of them (.ci/run keeps none).
import { spawnSync } from "node:child_process";
import { runIfEntryPoint } from "./lib/cli";

interface SystemTool {
  /** The Debian package that provides it. */
  package: string;
  /** A command that succeeds when it is there. */
  check: readonly string[];
}

const SYSTEM_TOOLS: readonly SystemTool[] = [
  // The browser tests (test/node/support/browser.ts), and zbarimg to decode the QR codes they screenshot.
  { package: "chromium", check: ["chromium", "--version"] },
  { package: "zbar-tools", check: ["zbarimg", "--version"] },
  // The client examples (test/node/examples.test.ts): PHP with curl, Python, and the shell one's curl and openssl.
  { package: "php-cli", check: ["php", "--version"] },
  { package: "php-curl", check: ["php", "-r", "exit(function_exists('curl_init') ? 0 : 1);"] },
  { package: "python3", check: ["python3", "--version"] },
  { package: "curl", check: ["curl", "--version"] },
  { package: "openssl", check: ["openssl", "version"] },
  // Independent checkers of the import and export tests: another TOTP, and a PSKC reader. Debian's
  // module is installed for Debian's python (a pyenv or venv python3 earlier on PATH lacks it).
  { package: "oathtool", check: ["oathtool", "--version"] },
  { package: "python3-pskc", check: ["/usr/bin/python3", "-c", "import pskc"] },
];

const succeeds = (command: readonly string[]) =>
  spawnSync(command[0]!, command.slice(1), { stdio: "ignore", timeout: 30_000 }).status === 0;

/** The packages of the tools this machine lacks, in the list's order. */
function missingPackages(): string[] {
  return SYSTEM_TOOLS.filter((tool) => !succeeds(tool.check)).map((tool) => tool.package);
}

/** How this process can run apt-get: as root, through sudo without a password, or not at all. */
function aptRunner(): "root" | "sudo" | null {
  if (process.getuid?.() === 0) return "root";
  return succeeds(["sudo", "-n", "true"]) ? "sudo" : null;
}

function apt(runner: "root" | "sudo", args: readonly string[]): boolean {
  const command = ["apt-get", "-qq", ...args];
  // sudo drops the environment: env passes the one variable on.
  if (runner === "sudo") command.unshift("sudo", "-n", "env", "DEBIAN_FRONTEND=noninteractive");
  const result = spawnSync(command[0]!, command.slice(1), {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (result.status !== 0) process.stderr.write(`${result.stdout ?? ""}${result.stderr ?? result.error?.message ?? ""}\n`);
  return result.status === 0;
}

/** Exits non-zero with one line: what is missing, why it was not installed, the command that installs it. */
function stop(packages: readonly string[], why: string): never {
  const command = `sudo apt-get update && sudo apt-get install -y ${packages.join(" ")}`;
  console.error(`npm test needs ${packages.join(", ")}, ${why}: ${command}, then npm test again.`);
  process.exit(1);
}

function main(): void {
  const missing = missingPackages();
  if (missing.length === 0) return;
  if (!succeeds(["apt-get", "--version"])) stop(missing, "which this machine has no apt-get to install (on Debian or Ubuntu)");
  const runner = aptRunner();
  if (runner === null) stop(missing, "and installing them needs your password");
  console.log(`Installing what the tests drive: ${missing.join(" ")} (apt-get install, once)`);
  // The package lists of a fresh machine are empty: update first.
  if (!apt(runner, ["update"]) || !apt(runner, ["install", "-y", ...missing])) stop(missing, "and apt-get failed (above)");
  const still = missingPackages();
  if (still.length > 0) stop(still, "which still do not run after apt-get install; try");
}

runIfEntryPoint(import.meta.url, main);
