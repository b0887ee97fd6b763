// npm test's first step (scripts/system-tools.ts) on a machine that lacks every program the tests
// drive: a PATH that holds only node and, per case, a stand-in for apt-get and sudo. The real
// apt-get is never run here.
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const run = promisify(execFile);
const PRE_STEP = "node --import tsx scripts/system-tools.ts";
/** What the tests drive, less python3-pskc: its check runs Debian's /usr/bin/python3, which PATH does not hide. */
const PACKAGES = "chromium zbar-tools php-cli php-curl python3 curl openssl oathtool";
const COMMANDS = "chromium zbarimg php python3 curl openssl oathtool";

let bin = "";
afterEach(() => rmSync(bin, { recursive: true, force: true }));

/** A folder to be the whole PATH, with node in it; readable by the unprivileged user too. */
function emptyPath(): string {
  bin = mkdtempSync(path.join(tmpdir(), "totp-edge-path-"));
  chmodSync(bin, 0o755);
  symlinkSync(process.execPath, path.join(bin, "node"));
  return bin;
}

function script(name: string, body: string): void {
  writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
}

/** A stand-in apt-get that logs its arguments and, on install, puts a program that succeeds under each command name. */
function fakeAptGet(): string {
  const log = path.join(bin, "apt.log");
  writeFileSync(log, "", { mode: 0o666 });
  chmodSync(log, 0o666);
  const stub = `#!/bin/sh\\nexit 0\\n`;
  script(
    "apt-get",
    `echo "$*" >> ${log}\nif [ "$2" = install ]; then for c in ${COMMANDS}; do printf '${stub}' > ${bin}/$c; /bin/chmod 755 ${bin}/$c; done; fi`,
  );
  return log;
}

/** Runs the first step with PATH = the folder, as root or (asUser) an unprivileged user. */
async function preStep(asUser?: number) {
  const node = [path.join(bin, "node"), "--import", "tsx", "scripts/system-tools.ts"];
  const argv = asUser === undefined ? node : ["/usr/bin/setpriv", `--reuid=${asUser}`, `--regid=${asUser}`, "--clear-groups", ...node];
  try {
    const { stdout, stderr } = await run(argv[0]!, argv.slice(1), { cwd: ROOT, env: { ...process.env, PATH: bin } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("npm test's first step", () => {
  it("comes before vitest, which runs only if it succeeds", () => {
    const scripts = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    expect(scripts.test).toBe(`${PRE_STEP} && vitest run`);
  });

  it("installs what is missing with one apt-get install when it runs as root, and says so in one line", async () => {
    emptyPath();
    const log = fakeAptGet();
    const result = await preStep();
    expect(result).toEqual({
      code: 0,
      stdout: `Installing what the tests drive: ${PACKAGES} (apt-get install, once)\n`,
      stderr: "",
    });
    expect(readFileSync(log, "utf8")).toBe(`--version\n-qq update\n-qq install -y ${PACKAGES}\n`);
  });

  const command = `sudo apt-get update && sudo apt-get install -y ${PACKAGES}`;

  it("without apt-get (a Mac), names the command and fails", async () => {
    emptyPath();
    expect(await preStep()).toEqual({
      code: 1,
      stdout: "",
      stderr: `npm test needs ${PACKAGES.replaceAll(" ", ", ")}, which this machine has no apt-get to install (on Debian or Ubuntu): ${command}, then npm test again.\n`,
    });
  });

  it("as a user whose sudo asks for a password, names the command and fails without running apt-get", async () => {
    emptyPath();
    const log = fakeAptGet();
    script("sudo", "exit 1");
    expect(await preStep(65534)).toEqual({
      code: 1,
      stdout: "",
      stderr: `npm test needs ${PACKAGES.replaceAll(" ", ", ")}, and installing them needs your password: ${command}, then npm test again.\n`,
    });
    expect(readFileSync(log, "utf8")).toBe("--version\n");
  });
});
