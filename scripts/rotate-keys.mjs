// npm run rotate-keys -- [--remote] [--env NAME] [--persist-to DIR] [--batch N]
//
// Re-seals every TOTP secret that is not under the keyring's current (first) key. The keyring is
// read from SECRET_ENCRYPTION_KEYS in the environment, or from .dev.vars for the local D1.
// Order of a rotation: 1) put the new key first in the Worker's SECRET_ENCRYPTION_KEYS and keep the
// old one after it (validations keep working: every key opens), 2) run this, 3) drop the old key.
// Each row is rewritten only if its ciphertext is still the one read, so users created, deleted or
// re-sealed meanwhile are never clobbered.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadKeyring, open, seal } from "../src/crypto/secret-box.ts";
import { execute, executeFile, sqlString } from "./d1.mjs";
import { ROOT } from "./wrangler.mjs";

const { values } = parseArgs({
  options: {
    remote: { type: "boolean", default: false },
    env: { type: "string" },
    "persist-to": { type: "string" },
    batch: { type: "string", default: "200" },
  },
});
const target = { remote: values.remote, env: values.env, persistTo: values["persist-to"] };
const batch = Number(values.batch);
if (!Number.isInteger(batch) || batch < 1 || batch > 1000) {
  console.error("--batch must be an integer from 1 to 1000");
  process.exit(2);
}

function keyringConfig() {
  if (process.env.SECRET_ENCRYPTION_KEYS) return process.env.SECRET_ENCRYPTION_KEYS;
  const devVars = path.join(ROOT, ".dev.vars");
  if (!values.remote && existsSync(devVars)) {
    const line = readFileSync(devVars, "utf8").split("\n").find((l) => l.startsWith("SECRET_ENCRYPTION_KEYS="));
    if (line) return line.slice(line.indexOf("=") + 1).trim().replace(/^"|"$/g, "");
  }
  console.error("Set SECRET_ENCRYPTION_KEYS to the new keyring (new key first, old keys after).");
  process.exit(2);
}

let keyring;
try {
  keyring = await loadKeyring(keyringConfig());
} catch (error) {
  console.error(error.message);
  process.exit(2);
}

const scratch = mkdtempSync(path.join(tmpdir(), "totp-edge-rotate-"));
let resealed = 0;
let skipped = 0;
let afterId = 0;
try {
  for (;;) {
    const rows = execute(
      `SELECT id, username_key, secret_key_id, secret_ciphertext FROM users
       WHERE secret_key_id <> ${sqlString(keyring.currentId)} AND id > ${afterId} ORDER BY id LIMIT ${batch}`,
      target,
    );
    if (rows.length === 0) break;
    afterId = rows[rows.length - 1].id;
    const updates = [];
    for (const row of rows) {
      let secret;
      try {
        secret = await open(keyring, { keyId: row.secret_key_id, ciphertext: row.secret_ciphertext }, row.username_key);
      } catch {
        skipped++;
        console.error(`user ${row.id}: cannot open its secret (key id ${row.secret_key_id} missing from the keyring?), left as is`);
        continue;
      }
      const sealed = await seal(keyring, secret, row.username_key);
      updates.push(
        `UPDATE users SET secret_key_id = ${sqlString(sealed.keyId)}, secret_ciphertext = ${sqlString(sealed.ciphertext)} ` +
          `WHERE id = ${row.id} AND secret_ciphertext = ${sqlString(row.secret_ciphertext)};`,
      );
    }
    if (updates.length) {
      const file = path.join(scratch, "batch.sql");
      writeFileSync(file, updates.join("\n"), { mode: 0o600 });
      executeFile(file, target);
      resealed += updates.length;
    }
    console.log(`re-sealed ${resealed} secret(s) so far under key ${keyring.currentId}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
console.log(`Done: ${resealed} secret(s) re-sealed under key ${keyring.currentId}${skipped ? `, ${skipped} left as they were` : ""}.`);
process.exit(skipped ? 1 : 0);
