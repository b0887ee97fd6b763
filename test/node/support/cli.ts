// Runs one of the CLIs (scripts/NAME.ts) against a test server's local D1, as an operator would,
// with the keyring in the environment; its exit code and output, whether it failed or not.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export async function runCli(script: string, args: string[], persistTo: string, keys: string) {
  try {
    const { stdout, stderr } = await run("node", ["--import", "tsx", `scripts/${script}.ts`, ...args, "--persist-to", persistTo], {
      env: { ...process.env, SECRET_ENCRYPTION_KEYS: keys },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
