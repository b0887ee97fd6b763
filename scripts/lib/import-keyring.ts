// The Worker's keyring for the scripts that seal or open user secrets outside the Worker
// (npm run import, npm run resync): SECRET_ENCRYPTION_KEYS from the environment, or, for the
// local D1 only, from .dev.vars (which npm run dev gives the local Worker). Never printed.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { type Keyring, loadKeyring } from "../../src/crypto/secret-box";
import { messageOf, usageError } from "./cli";
import { workerKeyIds } from "./worker-key-ids";
import { ROOT } from "./wrangler";

/** The keyring, or why there is none (the caller refuses with that message). */
export async function scriptKeyring(remote: boolean): Promise<Keyring | string> {
  const config = process.env.SECRET_ENCRYPTION_KEYS || (remote ? undefined : devVarsKeyring());
  if (!config) {
    return remote
      ? "Set SECRET_ENCRYPTION_KEYS in this shell to the Worker's keyring (the value of its secret, new key first): --remote never reads .dev.vars."
      : "No keyring: set SECRET_ENCRYPTION_KEYS, or run npm run dev once (it writes .dev.vars).";
  }
  try {
    return await loadKeyring(config);
  } catch (error) {
    return messageOf(error);
  }
}

function devVarsKeyring(): string | undefined {
  const file = path.join(ROOT, ".dev.vars");
  if (!existsSync(file)) return undefined;
  const line = readFileSync(file, "utf8")
    .split("\n")
    .find((l) => l.startsWith("SECRET_ENCRYPTION_KEYS="));
  return line
    ?.slice(line.indexOf("=") + 1)
    .trim()
    .replace(/^"|"$/g, "");
}

/** Secrets sealed under a key the Worker lacks would be unreadable to it: every validate of those users a 500. */
export async function refuseUnlessWorkerOpens(usage: string, workerUrl: string, keyring: Keyring): Promise<void> {
  const worker = await workerKeyIds(workerUrl);
  if ("problem" in worker) usageError(usage, `${worker.problem} Nothing was written.`);
  if (!worker.ids.includes(keyring.currentId)) {
    usageError(
      usage,
      `The Worker at ${workerUrl} has no key "${keyring.currentId}" (it has ${worker.ids.map((id) => `"${id}"`).join(", ")}): ` +
        "secrets sealed under it would be unreadable to the Worker. Use the Worker's SECRET_ENCRYPTION_KEYS. Nothing was written.",
    );
  }
}
