// A new local D1 (an empty --persist-to folder: every test server, the bench, a CLI test) starts
// as a copy of one that wrangler migrated once: applying the migrations to an empty database costs
// about 10 s of wrangler on 2 cores, copying three files a few milliseconds, and npm test starts
// dozens of servers. The copy is made by `wrangler d1 migrations apply` like any other, and is
// named after what decides its content (the migrations and wrangler.toml), so a new migration
// makes a new one.
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "./wrangler";

/** What the migrated database depends on. */
function contentHash(): string {
  const hash = createHash("sha256");
  const dir = path.join(ROOT, "drizzle");
  for (const name of readdirSync(dir)
    .filter((file) => file.endsWith(".sql"))
    .sort()) {
    hash.update(name).update(readFileSync(path.join(dir, name)));
  }
  hash.update(readFileSync(path.join(ROOT, "wrangler.toml")));
  return hash.digest("hex").slice(0, 16);
}

/** Whether a local state folder has no D1 yet (absent or empty). */
export function isFreshState(persistTo: string): boolean {
  return !existsSync(path.join(persistTo, "v3", "d1"));
}

/**
 * Fills the fresh `persistTo` with a migrated D1, migrating the template first if this machine has
 * none for these migrations (`migrate` applies them to the folder it is given). Parallel callers
 * each migrate into a folder of their own and the first rename wins, so nobody copies a half-made one.
 */
export function copyMigrated(persistTo: string, migrate: (folder: string) => void): void {
  const template = path.join(tmpdir(), `totp-edge-migrated-${contentHash()}`);
  if (!existsSync(template)) {
    const making = mkdtempSync(`${template}-making-`);
    migrate(making);
    try {
      renameSync(making, template);
    } catch {
      rmSync(making, { recursive: true, force: true });
      if (!existsSync(template)) throw new Error(`could not make ${template}`);
    }
  }
  cpSync(path.join(template, "v3"), path.join(persistTo, "v3"), { recursive: true });
}
