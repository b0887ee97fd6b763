// npm run rotate-keys -- [--verify] [--worker URL] [--remote] [--env NAME] [--persist-to DIR] [--batch N]
//
// Re-seals every sealed secret (src/db/sealed-columns.ts: users' TOTP secrets, admins' second
// factors) that is not under the keyring's current (first) key. The keyring is
// read from SECRET_ENCRYPTION_KEYS in the environment, or from .dev.vars for the local D1.
// Each row is rewritten only if its ciphertext is still the one read, so users created, deleted or
// re-sealed meanwhile are never clobbered.
//
// Nothing is written unless the Worker that uses this D1 seals with the same first key: its
// GET /healthz lists its key ids (never keys). Re-sealing under a key the Worker lacks would make
// every secret unreadable to it (every validate a 500, every QR code a 404); re-sealing while the
// Worker still seals under the old key would leave every user created meanwhile behind.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { keyIds, loadKeyring, type Keyring } from "../src/crypto/secret-box";
import { messageOf, runIfEntryPoint } from "./lib/cli";
import { countPerKey, SEALED_COLUMNS } from "../src/db/sealed-columns";
import { execute, inlineSql, SQL_ONLY_DB, type D1Target } from "./lib/d1";
import { MAX_PASSES, resealAll } from "./lib/reseal";
import { runningServerOrigin } from "./lib/server-record";
import { ROTATION_ORDER, sealingProblem, workerKeyIds } from "./lib/worker-key-ids";
import { ROOT } from "./lib/wrangler";

const USAGE = `usage: npm run rotate-keys -- [options]
  Re-seals every sealed secret (users' TOTP secrets and admins' second factors) under the first
  key of SECRET_ENCRYPTION_KEYS (from the environment, or .dev.vars for the local D1), once the
  Worker seals with that key too.
  --verify       only count the secrets under each key id, and check the Worker has every one
                 of them (exit 1 if not); SECRET_ENCRYPTION_KEYS is optional here
  --worker URL   the Worker that uses this D1 (default: the running npm run dev of this D1,
                 else http://127.0.0.1:$PORT, PORT=8787; required with --remote)
  --remote       the deployed D1 (default: local)   --env NAME   a wrangler.toml environment
  --persist-to DIR   local state folder   --batch N   rows per write, 1 to 1000 (default 200)`;

type KeyCount = { sealKeyId: string; n: number };

/** Exit 2: nothing was written. */
function refuse(message: string, { usage = false } = {}): never {
  console.error(usage ? `${message}\n\n${USAGE}` : message);
  process.exit(2);
}

function parse() {
  try {
    return parseArgs({
      options: {
        remote: { type: "boolean", default: false },
        env: { type: "string" },
        "persist-to": { type: "string" },
        batch: { type: "string", default: "200" },
        worker: { type: "string" },
        verify: { type: "boolean", default: false },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    refuse(messageOf(error), { usage: true });
  }
}

function keyringConfig(remote: boolean): string | undefined {
  if (process.env.SECRET_ENCRYPTION_KEYS) return process.env.SECRET_ENCRYPTION_KEYS;
  const devVars = path.join(ROOT, ".dev.vars");
  if (!remote && existsSync(devVars)) {
    const line = readFileSync(devVars, "utf8")
      .split("\n")
      .find((l) => l.startsWith("SECRET_ENCRYPTION_KEYS="));
    if (line)
      return line
        .slice(line.indexOf("=") + 1)
        .trim()
        .replace(/^"|"$/g, "");
  }
  return undefined;
}

async function keyringOrRefuse(config: string): Promise<Keyring> {
  try {
    return await loadKeyring(config);
  } catch (error) {
    refuse(messageOf(error));
  }
}

async function workerIdsOrRefuse(workerUrl: string): Promise<string[]> {
  const worker = await workerKeyIds(workerUrl);
  if ("problem" in worker) refuse(`${worker.problem} Nothing was written.`);
  return worker.ids;
}

async function main(): Promise<void> {
  const values = parse();
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const target: D1Target = { remote: values.remote, env: values.env, persistTo: values["persist-to"] };
  const batch = Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > 1000) refuse("--batch must be an integer from 1 to 1000", { usage: true });
  if (values.remote && !values.worker)
    refuse("--remote needs --worker https://… (the deployed Worker whose /healthz lists its key ids)", { usage: true });
  const local = runningServerOrigin(values["persist-to"]) ?? `http://127.0.0.1:${process.env.PORT || "8787"}`;
  const workerUrl = (values.worker ?? local).replace(/\/+$/, "");

  const config = keyringConfig(values.remote);
  // The keyring is checked before the Worker is asked, so a bad one is reported without a Worker.
  if (values.verify) {
    const keyring = config === undefined ? undefined : await keyringOrRefuse(config); // optional for --verify
    verify(target, await workerIdsOrRefuse(workerUrl), keyring);
  }
  if (config === undefined) refuse("Set SECRET_ENCRYPTION_KEYS to the new keyring (new key first, old keys after).");
  const keyring = await keyringOrRefuse(config);
  const workerIds = await workerIdsOrRefuse(workerUrl);
  const problem = sealingProblem(workerUrl, keyring.currentId, workerIds);
  if (problem) refuse(`${problem} Nothing was written.\n${ROTATION_ORDER}`);
  const result = await resealAll({ target, workerUrl, keyring, batch });
  const passNote = result.passes > 1 ? ` in ${result.passes} passes (${result.arrived} arrived under an old key during the rotation)` : "";
  console.log(`Done: ${result.resealed} secret(s) re-sealed under key ${keyring.currentId}${passNote}.`);
  if (result.remaining > 0) {
    const why = [
      result.skipped && `${result.skipped} could not be opened`,
      result.lastArrivals && `${result.lastArrivals} arrived after the last of ${MAX_PASSES} passes`,
    ].filter(Boolean);
    console.error(
      `${result.remaining} secret(s) are still under other keys${why.length ? ` (${why.join("; ")})` : ""}: keep those keys, and see --verify.`,
    );
    process.exit(1);
  }
  if (workerIds.length > 1) {
    console.log(
      "Before dropping an old key from the Worker, run npm run rotate-keys -- --verify: isolates that started before the key change may still create users under it for a while.",
    );
  }
}

/** --verify: the secrets of every sealed column per key id; exit 1 if any is under a key the Worker lacks. */
function verify(target: D1Target, workerIds: readonly string[], keyring: Keyring | undefined): never {
  const perColumn = SEALED_COLUMNS.map((column) => ({
    label: column.label,
    rows: execute<KeyCount>(inlineSql(countPerKey(SQL_ONLY_DB, column)), target),
  }));
  const totals = new Map<string, number>();
  for (const { rows: counts } of perColumn) for (const { sealKeyId, n } of counts) totals.set(sealKeyId, (totals.get(sealKeyId) ?? 0) + n);
  const rows = [...totals].sort(([a], [b]) => (a < b ? -1 : 1)).map(([sealKeyId, n]) => ({ sealKeyId, n }));
  const mine = keyring ? keyIds(keyring) : [];
  const role = (ids: readonly string[], id: string) => (ids[0] === id ? "seals" : ids.includes(id) ? "opens" : "unknown");
  const perKey = new Map(rows.map(({ sealKeyId, n }) => [sealKeyId, n]));
  for (const id of [...workerIds, ...mine]) if (!perKey.has(id)) perKey.set(id, 0);
  console.log("key id\tsecrets\tWorker\tthis keyring");
  for (const [id, n] of perKey) console.log(`${id}\t${n}\t${role(workerIds, id)}\t${keyring ? role(mine, id) : "-"}`);
  for (const { label, rows: counts } of perColumn) {
    console.log(`${label}: ${counts.map(({ sealKeyId, n }) => `${n} under "${sealKeyId}"`).join(", ") || "none"}`);
  }

  const unreadable = rows.filter(({ sealKeyId }) => !workerIds.includes(sealKeyId));
  const behind = rows.filter(({ sealKeyId }) => sealKeyId !== workerIds[0]);
  const sum = (list: KeyCount[]) => list.reduce((total, { n }) => total + n, 0);
  const names = (list: KeyCount[]) => list.map(({ sealKeyId }) => `"${sealKeyId}"`).join(", ");
  if (unreadable.length) {
    console.error(
      `${sum(unreadable)} secret(s) are under key ids the Worker does not have (${names(unreadable)}): those users cannot validate (500) ` +
        "or open their QR code (404), and those admins cannot log in, until that key is back in the Worker's SECRET_ENCRYPTION_KEYS.",
    );
    process.exit(1);
  }
  if (behind.length) {
    console.log(
      `${sum(behind)} secret(s) are not yet under the Worker's sealing key "${workerIds[0]}": run npm run rotate-keys before dropping ${names(behind)}.`,
    );
  } else {
    console.log(`Every secret is under the Worker's sealing key "${workerIds[0]}"; no other key is needed for this D1.`);
  }
  process.exit(0);
}

runIfEntryPoint(import.meta.url, main);
