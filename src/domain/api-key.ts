import { hashApiKey } from "../crypto/api-keys";
import { findActiveKeyId } from "../db/api-keys";
import { ApiError } from "../errors";
import type { Deps } from "./deps";
import { noteKey, screenKey } from "./key-guard";

/** Resolves the caller's key to its id, or refuses with "invalid api key" (absent keys too). */
export async function requireApiKey(deps: Deps, key: string | undefined): Promise<number> {
  const keyHash = await callerKeyHash(deps, key);
  return acceptKeyId(deps, await findActiveKeyId(deps.db, keyHash), keyHash);
}

/**
 * The digest a key is looked up by, for queries that check the key in their own round trip. An
 * absent key, a key refused moments ago and a flooding address are refused before any query.
 */
export async function callerKeyHash(deps: Deps, key: string | undefined): Promise<string> {
  if (!key) throw ApiError.invalidApiKey();
  const keyHash = await hashApiKey(key);
  screenKey(deps, keyHash);
  return keyHash;
}

/** Takes the id of the caller's key as a lookup found it (null: no active key), or refuses. */
export async function acceptKeyId(deps: Deps, keyId: number | null, keyHash: string): Promise<number> {
  await noteKey(deps, keyHash, keyId !== null);
  if (keyId === null) throw ApiError.invalidApiKey();
  deps.caller.apiKeyId = keyId;
  return keyId;
}
