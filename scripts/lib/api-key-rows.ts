// The one statement by which the scripts add API keys to a D1 (the key CLI, npm run dev, the local
// test servers, the bench). Only the Worker's own hash of a key is stored, never the key.
import { hashApiKey } from "../../src/crypto/api-keys";
import { execute, sqlString, type D1Target } from "./d1";

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
  const values = await Promise.all(keys.map(async ({ label, key }) => `(${sqlString(label)}, ${sqlString(await hashApiKey(key))})`));
  const sql = `INSERT${ifAbsent ? " OR IGNORE" : ""} INTO api_keys (label, key_hash) VALUES ${values.join(", ")} RETURNING id`;
  return execute<{ id: number }>(sql, target).map((row) => row.id);
}
