// The writing half of npm run import: rows sealed under the keyring's first key, inserted in
// bounded statements; a row whose user exists is skipped (ON CONFLICT), so a second run adds nobody.
import { type Keyring, seal } from "../../src/crypto/secret-box";
import { inventoryContext } from "../../src/domain/hardware-tokens";
import { sqlString } from "./d1";
import { inBatches, literal, type Runner } from "./import-sql";
import type { ImportRow, TokenRow } from "./import-rows";

const USER_COLUMNS =
  "id, username, username_key, phone, email, secret_ciphertext, secret_key_id, created_at, confirmed_at, " +
  "totp_algorithm, totp_digits, totp_period, totp_drift, token_serial";
const TOKEN_COLUMNS = "serial, secret_ciphertext, secret_key_id, totp_algorithm, totp_digits, totp_period, totp_drift, imported_at";

export interface WriteProgress {
  rows: number;
  imported: number;
}

/**
 * Inserts the rows and returns how many were new. Without a userid, a row gets the next one
 * (AUTOINCREMENT: never a deleted user's); `assigned` hears each such user. An explicit userid
 * moves the sequence above it. Imported users count as confirmed from `now` unless the row says.
 */
export async function insertUsers(
  rows: Iterable<ImportRow>,
  run: Runner,
  keyring: Keyring,
  nowMs: number,
  progress: (done: WriteProgress) => void,
  assigned: (username: string, userId: number) => void,
): Promise<number> {
  const now = Math.floor(nowMs / 1000);
  const done: WriteProgress = { rows: 0, imported: 0 };
  // Who had no userid and is not written yet (a returned row whose username is here got a new one).
  const fresh = new Set<string>();
  const render = async (row: ImportRow) => {
    const sealed = await seal(keyring, row.secret!, row.usernameKey);
    row.secret!.fill(0);
    if (row.userId === null) fresh.add(row.username);
    const confirmed = row.confirmedAt === undefined ? now : row.confirmedAt;
    return (
      `(${literal(row.userId)}, ${sqlString(row.username)}, ${sqlString(row.usernameKey)}, ${literal(row.phone)}, ${literal(row.email)}, ` +
      `${sqlString(sealed.ciphertext)}, ${sqlString(sealed.keyId)}, ${row.createdAt ?? now}, ${literal(confirmed)}, ` +
      `${sqlString(row.token.algorithm)}, ${row.token.digits}, ${row.token.period}, ${row.drift}, ${literal(row.serial)})`
    );
  };
  await inBatches(
    rows,
    run,
    render,
    // No conflict target: an existing username, userid or serial all skip the row (checked before, see import-check.ts).
    (list) => `INSERT INTO users (${USER_COLUMNS}) VALUES\n${list.join(",\n")}\nON CONFLICT DO NOTHING RETURNING id, username`,
    (inserted, items) => {
      for (const { username, id } of inserted as Array<{ username: string; id: number }>) {
        if (fresh.delete(username)) assigned(username, id);
      }
      done.rows += items;
      done.imported += inserted.length;
      progress(done);
    },
  );
  return done.imported;
}

/** Tokens nobody holds yet, into the inventory; one whose serial is taken (waiting, or a user's) is skipped. Returns how many were new. */
export async function insertInventory(tokens: Iterable<TokenRow>, run: Runner, keyring: Keyring, nowMs: number): Promise<number> {
  const now = Math.floor(nowMs / 1000);
  let imported = 0;
  const render = async (token: TokenRow) => {
    const serial = token.serial!;
    const sealed = await seal(keyring, token.secret, inventoryContext(serial));
    token.secret.fill(0);
    return (
      `(${sqlString(serial)}, ${sqlString(sealed.ciphertext)}, ${sqlString(sealed.keyId)}, ${sqlString(token.token.algorithm)}, ` +
      `${token.token.digits}, ${token.token.period}, ${token.drift}, ${now})`
    );
  };
  await inBatches(
    tokens,
    run,
    render,
    // SQLite takes the upsert clause after INSERT … SELECT only when the SELECT has a WHERE.
    (list) =>
      `INSERT INTO hardware_tokens (${TOKEN_COLUMNS}) SELECT * FROM (VALUES\n${list.join(",\n")}) AS t\n` +
      "WHERE t.column1 NOT IN (SELECT token_serial FROM users WHERE token_serial IS NOT NULL) ON CONFLICT(serial) DO NOTHING RETURNING serial",
    (inserted) => {
      imported += inserted.length;
    },
  );
  return imported;
}
