// npm run import -- FILE [--psk HEX | --password PW] [--assign FILE] [--map FILE] [--dry-run] [--worker URL] [--remote] [--env NAME] [--persist-to DIR]
// Users with the TOTP secrets they already have (a TOTPRadius appliance, privacyIDEA, multiOTP, a
// vendor's PSKC file of hardware tokens), with their userids, so that nobody has to enrol again
// and no relying party loses its users. Every row is checked before anything is written; no
// output ever contains a secret.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import type { Keyring } from "../src/crypto/secret-box";
import { commandLine, D1_TARGET_OPTIONS, d1Target, runIfEntryPoint, usageError } from "./lib/cli";
import { plainEventStatement } from "../src/db/outbox";
import { newEventId } from "../src/domain/events";
import { applyMigrations, type D1Target, inlineSql, SQL_ONLY_DB } from "./lib/d1";
import { csvCell } from "./lib/export-rows";
import { checkAgainstDb } from "./lib/import-check";
import { refuseUnlessWorkerOpens, scriptKeyring } from "./lib/import-keyring";
import { IMPORT_COLUMNS, type RowError } from "./lib/import-parse";
import { checkedRows, type ImportRow, type TokenRow } from "./lib/import-rows";
import { pskcRows } from "./lib/import-pskc";
import { runner } from "./lib/import-sql";
import { insertInventory, insertUsers } from "./lib/import-write";

const USAGE = `usage: npm run import -- FILE [options]
  Imports users with their existing TOTP secrets, keeping their userids. FILE is CSV with a header
  row, JSON lines (one object per line), or a PSKC file (RFC 6030; .pskc or .xml). The columns:
    username (required); userid (kept; default: the next free one); created, confirmed (Unix seconds);
    secret (base32, = padding optional) or secret_hex; algorithm (SHA1, SHA256, SHA512; default SHA1),
    digits (6 or 8; default 6), period (30 or 60; default 30), drift (steps; default 0), serial;
    email, phone (optional)
  Every row is checked first: any bad row stops the import (its line and why; never a secret or a
  cell's content) and nothing is written. A row whose user exists (the same userid and username) is
  skipped, so importing a file twice adds nobody; a userid or username that is another user's is refused.
  Secrets are sealed under the first key of SECRET_ENCRYPTION_KEYS, from this shell's environment
  (for the local D1 also from .dev.vars): it must be the Worker's keyring.
options: --psk HEX | --password PW (an encrypted PSKC file's pre-shared key, or its password)
         --assign FILE (CSV serial,username: who gets which token of a PSKC file; the others wait in the inventory)
         --map FILE (write username,userid for every user given a new userid)
         --dry-run (check the file against the database; write nothing)
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
  /** An encrypted PSKC file's pre-shared key or password. */
  psk?: Uint8Array;
  password?: string;
  /** The --assign file's text. */
  assign?: string;
  /** Where username,userid of each user given a new userid goes. */
  map?: string;
  /** Unix ms of creation and confirmation of the imported users. */
  nowMs?: number;
  /** Where progress goes (stderr by default). */
  progress?: (line: string) => void;
}

export interface ImportSummary {
  /** Users added (with --dry-run: that would be added). */
  imported: number;
  /** Rows whose user exists already. */
  skipped: number;
  /** Bad rows: if any, nothing was written. */
  rejected: number;
  errors: RowError[];
  /** Users given a new userid. */
  assigned: number;
  /** PSKC tokens nobody was named for: added to the inventory, and already known there (or a user's). */
  tokens: { added: number; known: number };
}

/**
 * user.imported (docs/events.md): one per run that writes, counted as the check before the
 * writes decided (a user made by someone else meanwhile is skipped by the write, not recounted).
 */
function importedEvent(nowMs: number, counts: { users: number; imported: number; skipped: number; inventory: number }): string {
  const head = { id: newEventId(), type: "user.imported", at: nowMs };
  return inlineSql(plainEventStatement(SQL_ONLY_DB, head, { ...counts, actor: { type: "cli" }, outcome: "ok" }));
}

const isPskc = (file: string, text: string) => /\.(pskc|xml)$/i.test(file) || /^\uFEFF?\s*</.test(text);

/** Checks the whole file, then (unless a row is bad, or dryRun) inserts its users. The CLI and the benchmark run this. */
export async function importUsers(options: ImportOptions): Promise<ImportSummary> {
  const text = readFileSync(options.file, "utf8");
  const progress = options.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const summary: ImportSummary = { imported: 0, skipped: 0, rejected: 0, errors: [], assigned: 0, tokens: { added: 0, known: 0 } };
  let rows: () => Iterable<ImportRow>;
  let inventory: TokenRow[] = [];
  let count = 0;
  if (isPskc(options.file, text)) {
    const input = await pskcRows(text, { psk: options.psk, password: options.password }, options.assign);
    summary.errors = input.errors;
    rows = () => input.users;
    inventory = input.inventory;
    count = input.users.length;
  } else {
    // Read again for each pass rather than held: 100,000 rows of decoded secrets need not sit in memory.
    for (const row of checkedRows(text, summary.errors)) {
      row.secret?.fill(0);
      count++;
    }
    rows = () => checkedRows(text, []);
  }
  const done = (errors: RowError[]) => ({ ...summary, errors, rejected: errors.length });
  if (summary.errors.length > 0) return done(summary.errors);
  progress(`${count.toLocaleString("en-US")} rows checked`);
  const run = runner(options.target);
  try {
    const check = await checkAgainstDb(rows(), run);
    if (check.errors.length > 0) return done(check.errors);
    summary.skipped = check.existing.size;
    if (options.dryRun) return { ...summary, imported: count - summary.skipped, tokens: { added: inventory.length, known: 0 } };
    if (options.map) writeFileSync(options.map, "username,userid\n", { mode: 0o600 });
    const fresh = function* () {
      for (const row of rows()) if (!check.existing.has(row.usernameKey)) yield row;
    };
    const nowMs = options.nowMs ?? Date.now();
    const total = count.toLocaleString("en-US");
    // The run's event ends its last write (in that transaction), with the counts the check decided.
    const event = [
      importedEvent(nowMs, { users: count, imported: count - summary.skipped, skipped: summary.skipped, inventory: inventory.length }),
    ];
    summary.imported = await insertUsers(
      fresh(),
      run,
      options.keyring,
      nowMs,
      (at) =>
        progress(
          `${(at.rows + summary.skipped).toLocaleString("en-US")} of ${total} rows written, ${at.imported.toLocaleString("en-US")} new`,
        ),
      (username, userId) => {
        summary.assigned++;
        if (options.map) appendFileSync(options.map, `${csvCell(username)},${userId}\n`);
      },
      inventory.length === 0 ? event : [],
    );
    summary.skipped = count - summary.imported;
    const added = await insertInventory(inventory, run, options.keyring, nowMs, inventory.length > 0 ? event : []);
    summary.tokens = { added, known: inventory.length - added };
    return summary;
  } finally {
    run.close();
  }
}

async function main(): Promise<void> {
  const { values, positionals } = commandLine(USAGE, {
    ...D1_TARGET_OPTIONS,
    "dry-run": { type: "boolean", default: false },
    worker: { type: "string" },
    psk: { type: "string" },
    password: { type: "string" },
    assign: { type: "string" },
    map: { type: "string" },
  });
  const target = d1Target(values);
  if (positionals.length !== 1) usageError(USAGE, positionals.length === 0 ? "missing FILE" : "give one FILE");
  const file = positionals[0]!;
  if (!existsSync(file)) usageError(USAGE, `no such file: ${file}`);
  if (values.assign !== undefined && !existsSync(values.assign)) usageError(USAGE, `no such file: ${values.assign}`);
  if (values.psk !== undefined && !/^(?:[0-9a-fA-F]{2}){16,32}$/.test(values.psk)) usageError(USAGE, "--psk must be 16 to 32 bytes in hex");
  if (values.remote && !values.worker)
    usageError(USAGE, "--remote needs --worker https://… (the deployed Worker, to check it has the keyring's first key)");
  const keyring = await scriptKeyring(values.remote);
  if (typeof keyring === "string") usageError(USAGE, keyring);
  if (values.worker) await refuseUnlessWorkerOpens(USAGE, values.worker.replace(/\/+$/, ""), keyring);

  if (!values.remote) applyMigrations(target);
  const summary = await importUsers({
    file,
    target,
    keyring,
    dryRun: values["dry-run"],
    psk: values.psk === undefined ? undefined : Buffer.from(values.psk, "hex"),
    password: values.password,
    assign: values.assign === undefined ? undefined : readFileSync(values.assign, "utf8"),
    map: values.map,
  }).catch((error: unknown) => usageError(USAGE, error instanceof Error ? error.message : String(error)));
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
  const { added, known } = summary.tokens;
  if (values["dry-run"] && added > 0) console.log(`Hardware tokens for the inventory: ${added} in the file, none written.`);
  else if (added + known > 0)
    console.log(`Hardware tokens for the inventory: ${added} added, ${known} known already (assign them in the console).`);
  if (values.map) console.log(`${summary.assigned} new userids written to ${values.map} (username,userid).`);
  else if (summary.assigned > 0)
    console.error(
      `${summary.assigned} users got new userids: --map FILE writes them as username,userid (npm run export lists every user).`,
    );
}

runIfEntryPoint(import.meta.url, main);
