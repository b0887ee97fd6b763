// node --import tsx bench/import.ts [ROWS]
// npm run import at scale: ROWS generated users (default 100,000; SHA1/6/30, SHA256/8/60 and
// SHA512/6/30 in turn) into a fresh local D1, through the CLI's own importUsers, in a child
// process so that its peak RSS is the import's alone (wrangler's workerd, which runs each batch,
// is a process of its own and not counted).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { loadKeyring } from "../src/crypto/secret-box";
import { base32Encode } from "../src/otp/base32";
import { runIfEntryPoint } from "../scripts/lib/cli";
import { applyMigrations, newEncryptionKey } from "../scripts/lib/d1";
import { importUsers } from "../scripts/import";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

export interface ImportBenchResult {
  rows: number;
  /** Wall time of the import itself (checking, sealing, writing), without creating the database. */
  seconds: number;
  /** Peak resident memory of the importing Node process, MiB. */
  peakRssMb: number;
}

const KINDS = ["SHA1,6,30", "SHA256,8,60", "SHA512,6,30"] as const;
const SECRET_BYTES = { "SHA1,6,30": 20, "SHA256,8,60": 32, "SHA512,6,30": 64 } as const;

/** A CSV of `rows` users with random secrets. */
function writeImportFile(file: string, rows: number): void {
  const lines = ["username,secret,algorithm,digits,period,email"];
  for (let i = 1; i <= rows; i++) {
    const kind = KINDS[i % KINDS.length]!;
    const secret = base32Encode(crypto.getRandomValues(new Uint8Array(SECRET_BYTES[kind])));
    lines.push(`u${i}@import.bench,${secret},${kind},u${i}@import.bench`);
  }
  writeFileSync(file, `${lines.join("\n")}\n`, { mode: 0o600 });
}

/** Generates the file, imports it into a fresh local D1 in a child process, and checks every row arrived. */
export async function benchImport(rows = 100_000): Promise<ImportBenchResult> {
  const dir = mkdtempSync(path.join(tmpdir(), "totp-edge-import-bench-"));
  try {
    const file = path.join(dir, "users.csv");
    writeImportFile(file, rows);
    const { stdout } = await run(process.execPath, ["--import", "tsx", path.join(HERE, "import.ts"), "--child", file, dir], {
      env: { ...process.env, SECRET_ENCRYPTION_KEYS: newEncryptionKey("bench") },
      maxBuffer: 16 * 1024 * 1024,
    });
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as ImportBenchResult & { imported: number };
    if (result.imported !== rows) throw new Error(`imported ${result.imported} of ${rows} rows`);
    return { rows, seconds: result.seconds, peakRssMb: result.peakRssMb };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The child: one import, its figures as the last line of stdout. */
async function child(file: string, persistTo: string): Promise<void> {
  const target = { persistTo };
  applyMigrations(target);
  const keyring = await loadKeyring(process.env.SECRET_ENCRYPTION_KEYS);
  const started = performance.now();
  const summary = await importUsers({ file, target, keyring, progress: () => {} });
  const seconds = (performance.now() - started) / 1000;
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(JSON.stringify({ imported: summary.imported, seconds: Math.round(seconds * 10) / 10, peakRssMb }));
}

runIfEntryPoint(import.meta.url, async () => {
  const [first, file, dir] = process.argv.slice(2);
  if (first === "--child") return child(file!, dir!);
  const rows = first === undefined ? undefined : Number(first);
  if (rows !== undefined && !(Number.isInteger(rows) && rows > 0)) throw new Error("ROWS must be a positive integer");
  const result = await benchImport(rows);
  console.log(
    `${result.rows.toLocaleString("en-US")} rows imported in ${result.seconds} s (${Math.round(result.rows / result.seconds).toLocaleString("en-US")} rows/s), peak RSS ${result.peakRssMb} MiB`,
  );
});
