// The one statement by which the scripts add API keys to a D1 (the key CLI, npm run dev, the local
// test servers, the bench). Only the Worker's own hash of a key is stored, never the key.
import { hashApiKey } from "../../src/crypto/api-keys";
import { insertKeys } from "../../src/db/console-keys";
import { type D1Target, execute, inlineSql, SQL_ONLY_DB } from "./d1";

interface NewApiKey {
  label: string;
  key: string;
}

interface InsertApiKeysOptions {
  /**
   * Skip a key that is already stored (npm run dev inserts its key at every start). Without this a
   * stored key fails the whole statement on the UNIQUE key_hash: the CLI reports it.
   */
  ifAbsent?: boolean;
}

/** Inserts the keys in one statement and returns the ids of the rows it added. */
export async function insertApiKeys(
  keys: readonly NewApiKey[],
  target: D1Target,
  { ifAbsent = false }: InsertApiKeysOptions = {},
): Promise<number[]> {
  if (keys.length === 0) return [];
  const rows = await Promise.all(keys.map(async ({ label, key }) => ({ label, keyHash: await hashApiKey(key) })));
  return execute<{ id: number }>(inlineSql(insertKeys(SQL_ONLY_DB, rows, { ifAbsent })), target).map((row) => row.id);
}
