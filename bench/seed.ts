// Seeds the bench population straight into the local D1 file before wrangler dev starts:
// 10,000 createuser calls over HTTP would take minutes, one `d1 execute --file` takes seconds.
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadKeyring, seal } from "../src/crypto/secret-box";
import { applyMigrations, targetArgs } from "../scripts/lib/d1";
import { wrangler } from "../scripts/lib/wrangler";

interface SeedOptions {
  /** The local D1 state folder wrangler dev will serve. */
  persistTo: string;
  /** SECRET_ENCRYPTION_KEYS of that Worker: the secrets are sealed with the Worker's own seal(). */
  keyringConfig: string;
  count: number;
  /** Unix seconds. */
  createdAt?: number;
}

const ROWS_PER_INSERT = 500;

/**
 * Creates `count` users with ids 1..count (username u<id>@bench.example) and returns their raw
 * 20-byte secrets, index i holding user i+1's.
 */
export async function seedUsers({
  persistTo,
  keyringConfig,
  count,
  createdAt = Math.floor(Date.now() / 1000),
}: SeedOptions): Promise<Uint8Array[]> {
  const target = { persistTo };
  applyMigrations(target);
  const keyring = await loadKeyring(keyringConfig);
  const secrets: Uint8Array[] = [];
  const statements: string[] = [];
  let values: string[] = [];
  for (let id = 1; id <= count; id++) {
    const username = `u${id}@bench.example`;
    const secret = crypto.getRandomValues(new Uint8Array(20));
    secrets.push(secret);
    const sealed = await seal(keyring, secret, username);
    // Every value is generated here (digits, base64url, fixed ASCII), so none needs quoting.
    values.push(`(${id},'${username}','${username}','${username}','${sealed.ciphertext}','${sealed.sealKeyId}',${createdAt})`);
    if (values.length === ROWS_PER_INSERT || id === count) {
      statements.push(
        "INSERT INTO users (id, username, username_key, email, secret_ciphertext, secret_key_id, created_at) VALUES\n" +
          values.join(",\n") +
          ";",
      );
      values = [];
    }
  }
  const file = path.join(persistTo, "bench-seed.sql");
  writeFileSync(file, statements.join("\n"), { mode: 0o600 });
  try {
    wrangler(["d1", "execute", "DB", ...targetArgs(target), "--yes", "--file", file]);
  } finally {
    rmSync(file, { force: true });
  }
  return secrets;
}
