// npm run export -- --out FILE [--format csv|jsonl] | --out FILE.pskc --with-secrets (--psk HEX | --password PW)
// Every user, in the form npm run import takes back: so that nobody who tries this server is
// locked in. Seeds leave only encrypted, in a PSKC file (RFC 6030), never on stdout or in a log.
import { createWriteStream } from "node:fs";
import { commandLine, D1_TARGET_OPTIONS, d1Target, runIfEntryPoint, usageError } from "./lib/cli";
import { applyMigrations, type D1Target } from "./lib/d1";
import { close, columns, csvCell, EXPORT_COLUMNS, userPages, write } from "./lib/export-rows";
import { exportSecrets } from "./lib/export-pskc";
import { scriptKeyring } from "./lib/import-keyring";

const USAGE = `usage: npm run export -- --out FILE [options]
  Writes every user (userid, username, created, confirmed, algorithm, digits, period, drift, serial,
  email, phone) as CSV (default) or JSON lines, which npm run import takes back as they are.
  With --with-secrets it writes a PSKC file (RFC 6030) instead, every user's seed (and every
  hardware token of the inventory) encrypted under --psk or --password: npm run import, and any
  PSKC reader, read it. Seeds are never written anywhere else.
options: --format csv|jsonl
         --with-secrets (--psk HEX: a 16 or 32 byte key | --password PW)
         --remote (the deployed D1; default: local)  --env NAME (a wrangler.toml environment)  --persist-to DIR (local state folder)
  With --with-secrets, SECRET_ENCRYPTION_KEYS (from this shell, or .dev.vars for the local D1) must open every seed.`;

export interface ExportOptions {
  out: string;
  target: D1Target;
  format: "csv" | "jsonl";
}

/** Writes the users without secrets; returns how many. */
export async function exportUsers({ out: file, target, format }: ExportOptions): Promise<number> {
  const out = createWriteStream(file, { mode: 0o600 });
  let count = 0;
  if (format === "csv") await write(out, `${EXPORT_COLUMNS.join(",")}\n`);
  for (const page of userPages(target, false)) {
    const lines = page.map((user) => {
      const row = columns(user);
      return format === "csv" ? EXPORT_COLUMNS.map((c) => csvCell(row[c])).join(",") : JSON.stringify(row);
    });
    await write(out, `${lines.join("\n")}\n`);
    count += page.length;
  }
  await close(out);
  return count;
}

async function main(): Promise<void> {
  const { values, positionals } = commandLine(USAGE, {
    ...D1_TARGET_OPTIONS,
    out: { type: "string" },
    format: { type: "string" },
    "with-secrets": { type: "boolean", default: false },
    psk: { type: "string" },
    password: { type: "string" },
  });
  const target = d1Target(values);
  if (positionals.length > 0) usageError(USAGE, `unexpected argument ${positionals[0]}: the file goes after --out`);
  const file = values.out;
  if (!file || file === "-") usageError(USAGE, "give the file to write with --out FILE (never stdout)");
  if (!values["with-secrets"]) {
    if (values.psk !== undefined || values.password !== undefined) usageError(USAGE, "--psk and --password go with --with-secrets");
    const format = values.format ?? (/\.jsonl?$/i.test(file) ? "jsonl" : "csv");
    if (format !== "csv" && format !== "jsonl") usageError(USAGE, "--format is csv or jsonl");
    if (!values.remote) applyMigrations(target);
    const count = await exportUsers({ out: file, target, format });
    console.log(`Wrote ${count} users to ${file} (${format}, no secrets).`);
    return;
  }
  if (values.format !== undefined) usageError(USAGE, "--with-secrets writes a PSKC file: leave out --format");
  if ((values.psk === undefined) === (values.password === undefined))
    usageError(USAGE, "--with-secrets needs one of --psk HEX and --password PW");
  if (values.psk !== undefined && !/^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{64})$/.test(values.psk))
    usageError(USAGE, "--psk must be 16 or 32 bytes in hex");
  if (values.password !== undefined && values.password.length < 12) usageError(USAGE, "--password must be at least 12 characters");
  const keyring = await scriptKeyring(values.remote);
  if (typeof keyring === "string") usageError(USAGE, keyring);
  if (!values.remote) applyMigrations(target);
  const keys = values.psk !== undefined ? { psk: Buffer.from(values.psk, "hex") } : { password: values.password! };
  const counts = await exportSecrets({ out: file, target, keyring, keys });
  console.log(`Wrote ${counts.users} users and ${counts.tokens} inventory tokens to ${file} (PSKC, seeds encrypted).`);
}

runIfEntryPoint(import.meta.url, main);
