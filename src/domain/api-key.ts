import { hashApiKey } from "../crypto/api-keys";
import { findActiveKeyId } from "../db/api-keys";
import { ApiError } from "../errors";
import type { Deps } from "./deps";

/** Resolves the caller's key to its id, or refuses with "invalid api key" (absent keys too). */
export async function requireApiKey(deps: Deps, key: string | undefined): Promise<number> {
  return acceptKeyId(deps, await findActiveKeyId(deps.db, await callerKeyHash(key)));
}

/** The digest a key is looked up by, for queries that check the key in their own round trip; an absent key is refused. */
export async function callerKeyHash(key: string | undefined): Promise<string> {
  if (!key) throw ApiError.invalidApiKey();
  return hashApiKey(key);
}

/** Takes the id of the caller's key as a lookup found it (null: no active key), or refuses. */
export function acceptKeyId(deps: Deps, keyId: number | null): number {
  if (keyId === null) throw ApiError.invalidApiKey();
  deps.caller.apiKeyId = keyId;
  return keyId;
}
