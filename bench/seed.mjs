// Seeds the bench population straight into the local D1 file before wrangler dev starts:
// 10,000 createuser calls over HTTP would take minutes, one `d1 execute --file` takes seconds.
import { createCipheriv, randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { applyMigrations, targetArgs } from "../scripts/d1.mjs";
import { wrangler } from "../scripts/wrangler.mjs";

/** A fresh SECRET_ENCRYPTION_KEYS value and its raw key, so the bench can seal like the Worker does. */
export function benchKeyring() {
  const key = randomBytes(32);
  return { id: "bench", key, config: `bench:${key.toString("base64")}` };
}

/**
 * Same format as src/crypto/secret-box.ts seal(): AES-256-GCM, 12-byte IV, the username key as
 * additional data, "base64url(iv).base64url(ciphertext‖tag)" (WebCrypto appends the tag).
 */
export function seal(key, plaintext, context) {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `${iv.toString("base64url")}.${body.toString("base64url")}`;
}

const ROWS_PER_INSERT = 500;

/**
 * Creates `count` users with ids 1..count (username u<id>@bench.example) and returns their raw
 * 20-byte secrets, index i holding user i+1's.
 */
export function seedUsers({ persistTo, keyring, count, createdAt = Math.floor(Date.now() / 1000) }) {
  const target = { persistTo };
  applyMigrations(target);
  const secrets = [];
  const statements = [];
  let values = [];
  for (let id = 1; id <= count; id++) {
    const username = `u${id}@bench.example`;
    const secret = randomBytes(20);
    secrets.push(secret);
    // Every value is generated here (digits, base64url, fixed ASCII), so none needs quoting.
    values.push(`(${id},'${username}','${username}','${username}','${seal(keyring.key, secret, username)}','${keyring.id}',${createdAt})`);
    if (values.length === ROWS_PER_INSERT || id === count) {
      statements.push(
        "INSERT INTO users (id, username, username_key, email, secret_ciphertext, secret_key_id, created_at) VALUES\n" +
          values.join(",\n") + ";",
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
