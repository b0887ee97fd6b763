// npm run import -- FILE [--dry-run] [--worker URL] [--remote] [--env NAME] [--persist-to DIR]
// Users with the TOTP secrets they already have (a TOTPRadius appliance, privacyIDEA, multiOTP, a
// sheet of hardware-token seeds), so that nobody has to enrol again. Every row is checked before
// anything is written; no output ever contains a secret.
import { existsSync, readFileSync } from "node:fs";
import type { Keyring } from "../src/crypto/secret-box";
import { commandLine, D1_TARGET_OPTIONS, d1Target, runIfEntryPoint, usageError } from "./cli";
import { applyMigrations, type D1Target } from "./d1";
import { scriptKeyring } from "./import-keyring";
import { checkedRows, IMPORT_COLUMNS, type RowError } from "./import-rows";
import { countExisting, insertRows } from "./import-write";
import { workerKeyIds } from "./worker-key-ids";

const USAGE = `usage: npm run import -- FILE [options]
  Imports users with their existing TOTP secrets. FILE is CSV with a header row, or JSON lines
  (one object per line), with the columns:
    username (required); secret (base32, = padding optional) or secret_hex;
    algorithm (SHA1, SHA256, SHA512; default SHA1), digits (6 or 8; default 6), period (30 or 60; default 30),
    email, phone (optional)
  Every row is checked first: any bad row stops the import (its line and why; never a secret)
  and nothing is written. Existing usernames are skipped, so importing a file twice adds nobody.
  Secrets are sealed under the first key of SECRET_ENCRYPTION_KEYS, from this shell's environment
  (for the local D1 also from .dev.vars): it must be the Worker's keyring.
options: --dry-run (check the file and count existing usernames; write nothing)
         --worker URL (the Worker of this D1: refuse unless its /healthz lists the keyring's first key; required with --remote)
         --remote (the deployed D1; default: local)  --env NAME (a wrangler.toml environment)  --persist-to DIR (local state folder)
columns known: ${IMPORT_COLUMNS.join(", ")}`;

/** Bad rows reported in full; the rest are counted. */
const ERRORS_SHOWN = 20;

export interface ImportOptions {
  file: string;
  target: D1Target;
  keyring: Keyring;
  dryRun?: boolean;
  /** Unix ms of creation and confirmation of the imported users. */
  nowMs?: number;
  /** Where progress goes (stderr by default). */
  progress?: (line: string) => void;
}

export interface ImportSummary {
  /** Users added (with --dry-run: that would be added). */
  imported: number;
  /** Rows whose username exists already. */
  skipped: number;
  /** Bad rows: if any, nothing was written. */
  rejected: number;
  errors: RowError[];
}

/** Checks the whole file, then (unless a row is bad, or dryRun) inserts its users. The CLI and the benchmark run this. */
export async function importUsers(options: ImportOptions): Promise<ImportSummary> {
  const text = readFileSync(options.file, "utf8");
  const progress = options.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const errors: RowError[] = [];
  let rows = 0;
  for (const row of checkedRows(text, errors)) {
    row.secret.fill(0);
    rows++;
  }
  if (errors.length > 0) return { imported: 0, skipped: 0, rejected: errors.length, errors };
  progress(`${rows.toLocaleString("en-US")} rows checked`);
  if (options.dryRun) {
    const existing = countExisting(usernameKeys(text), options.target);
    return { imported: rows - existing, skipped: existing, rejected: 0, errors };
  }
  const imported = await insertRows(checkedRows(text, []), options.target, options.keyring, options.nowMs ?? Date.now(), (done) =>
    progress(
      `${done.rows.toLocaleString("en-US")} of ${rows.toLocaleString("en-US")} rows written, ${done.imported.toLocaleString("en-US")} new`,
    ),
  );
  return { imported, skipped: rows - imported, rejected: 0, errors };
}

function* usernameKeys(text: string): Generator<string> {
  for (const row of checkedRows(text, [])) {
    row.secret.fill(0);
    yield row.usernameKey;
  }
}

async function main(): Promise<void> {
  const { values, positionals } = commandLine(USAGE, {
    ...D1_TARGET_OPTIONS,
    "dry-run": { type: "boolean", default: false },
    worker: { type: "string" },
  });
  const target = d1Target(values);
  if (positionals.length !== 1) usageError(USAGE, positionals.length === 0 ? "missing FILE" : "give one FILE");
  const file = positionals[0]!;
  if (!existsSync(file)) usageError(USAGE, `no such file: ${file}`);
  if (values.remote && !values.worker)
    usageError(USAGE, "--remote needs --worker https://… (the deployed Worker, to check it has the keyring's first key)");
  const keyring = await scriptKeyring(values.remote);
  if (typeof keyring === "string") usageError(USAGE, keyring);
  if (values.worker) await refuseUnlessWorkerOpens(values.worker.replace(/\/+$/, ""), keyring);

  if (!values.remote) applyMigrations(target);
  const summary = await importUsers({ file, target, keyring, dryRun: values["dry-run"] });
  for (const error of summary.errors.slice(0, ERRORS_SHOWN)) console.error(error.message);
  if (summary.errors.length > ERRORS_SHOWN) console.error(`… and ${summary.errors.length - ERRORS_SHOWN} more bad rows`);
  const counts = `${summary.imported} imported, ${summary.skipped} skipped (username exists), ${summary.rejected} rejected`;
  if (summary.rejected > 0) {
    console.error(
      `Nothing was written: fix the rows above and run the import again. (0 imported, 0 skipped, ${summary.rejected} rejected)`,
    );
    process.exit(2);
  }
  console.log(values["dry-run"] ? `Dry run, nothing written. Would be: ${counts}.` : `Done: ${counts}.`);
}

/** Secrets sealed under a key the Worker lacks would be unreadable to it: every validate of those users a 500. */
async function refuseUnlessWorkerOpens(workerUrl: string, keyring: Keyring): Promise<void> {
  const worker = await workerKeyIds(workerUrl);
  if ("problem" in worker) usageError(USAGE, `${worker.problem} Nothing was written.`);
  if (!worker.ids.includes(keyring.currentId)) {
    usageError(
      USAGE,
      `The Worker at ${workerUrl} has no key "${keyring.currentId}" (it has ${worker.ids.map((id) => `"${id}"`).join(", ")}): ` +
        "secrets sealed under it would be unreadable to the Worker. Use the Worker's SECRET_ENCRYPTION_KEYS. Nothing was written.",
    );
  }
}

runIfEntryPoint(import.meta.url, main);
