// The writing half of npm run import: rows sealed under the keyring's first key, inserted in
// bounded statements (src/db/imports.ts); a row whose user exists is skipped (ON CONFLICT), so a
// second run adds nobody.
import { type Keyring, seal } from "../../src/crypto/secret-box";
import { type ImportedUser, type InventoryToken, insertImportedUsers, insertInventoryTokens } from "../../src/db/imports";
import { inventoryContext } from "../../src/domain/hardware-tokens";
import { inlineSql, literalBytes, SQL_ONLY_DB } from "./d1";
import type { ImportRow, TokenRow } from "./import-rows";
import { inBatches, type Runner } from "./import-sql";

export interface WriteProgress {
  rows: number;
  imported: number;
}

/** The columns drizzle writes with their defaults into each row of a users insert (last_step, counters, locks…). */
const USER_DEFAULTS_BYTES = 40;

/**
 * Inserts the rows and returns how many were new. Without a userid, a row gets the next one
 * (AUTOINCREMENT: never a deleted user's); `assigned` hears each such user. An explicit userid
 * moves the sequence above it. Imported users count as confirmed from `now` unless the row says.
 * `tail` ends the last call (the run's event, when no inventory follows).
 */
export async function insertUsers(
  rows: Iterable<ImportRow>,
  run: Runner,
  keyring: Keyring,
  nowMs: number,
  progress: (done: WriteProgress) => void,
  assigned: (username: string, userId: number) => void,
  tail: string[] = [],
): Promise<number> {
  const now = Math.floor(nowMs / 1000);
  const done: WriteProgress = { rows: 0, imported: 0 };
  // Who had no userid and is not written yet (a returned row whose username is here got a new one).
  const fresh = new Set<string>();
  const render = async (row: ImportRow): Promise<ImportedUser> => {
    const sealed = await seal(keyring, row.secret!, row.usernameKey);
    row.secret!.fill(0);
    if (row.userId === null) fresh.add(row.username);
    return {
      id: row.userId ?? undefined,
      username: row.username,
      usernameKey: row.usernameKey,
      phone: row.phone,
      email: row.email,
      secretCiphertext: sealed.ciphertext,
      secretKeyId: sealed.sealKeyId,
      createdAt: row.createdAt ?? now,
      confirmedAt: row.confirmedAt === undefined ? now : row.confirmedAt,
      totpAlgorithm: row.token.algorithm,
      totpDigits: row.token.digits,
      totpPeriod: row.token.period,
      totpDrift: row.drift,
      tokenSerial: row.serial,
    };
  };
  await inBatches(rows, run, {
    render,
    bytes: (user) => literalBytes(Object.values(user)) + USER_DEFAULTS_BYTES,
    // No conflict target: an existing username, userid or serial all skip the row (checked before, see import-check.ts).
    statement: (list) => inlineSql(insertImportedUsers(SQL_ONLY_DB, list)),
    done: (inserted, items) => {
      for (const { username, id } of inserted as Array<{ username: string; id: number }>) {
        if (fresh.delete(username)) assigned(username, id);
      }
      done.rows += items;
      done.imported += inserted.length;
      progress(done);
    },
    tail,
  });
  return done.imported;
}

/**
 * Tokens nobody holds yet, into the inventory; one whose serial is taken (waiting, or a user's) is
 * skipped. Returns how many were new. `tail` ends the last call (the run's event).
 */
export async function insertInventory(tokens: Iterable<TokenRow>, run: Runner, keyring: Keyring, nowMs: number, tail: string[] = []) {
  const now = Math.floor(nowMs / 1000);
  let imported = 0;
  const render = async (token: TokenRow): Promise<InventoryToken> => {
    const serial = token.serial!;
    const sealed = await seal(keyring, token.secret, inventoryContext(serial));
    token.secret.fill(0);
    return {
      serial,
      secretCiphertext: sealed.ciphertext,
      secretKeyId: sealed.sealKeyId,
      totpAlgorithm: token.token.algorithm,
      totpDigits: token.token.digits,
      totpPeriod: token.token.period,
      totpDrift: token.drift,
      importedAt: now,
    };
  };
  await inBatches(tokens, run, {
    render,
    bytes: (token) => literalBytes(Object.values(token)),
    statement: (list) => inlineSql(insertInventoryTokens(SQL_ONLY_DB, list)),
    done: (inserted) => {
      imported += inserted.length;
    },
    tail,
  });
  return imported;
}
