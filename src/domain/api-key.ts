import { hashApiKey } from "../crypto/api-keys";
import { findActiveKeyId } from "../db/api-keys";
import { ApiError } from "../errors";
import type { Deps } from "./deps";

/** Resolves the caller's key to its id, or refuses with "invalid api key" (absent keys too). */
export async function requireApiKey(deps: Deps, key: string | undefined): Promise<number> {
  if (!key) throw ApiError.invalidApiKey();
  return acceptKeyId(deps, await findActiveKeyId(deps.db, await hashApiKey(key)));
}

/** Takes the id of the caller's key as a lookup found it (null: no active key), or refuses. */
export function acceptKeyId(deps: Deps, keyId: number | null): number {
  if (keyId === null) throw ApiError.invalidApiKey();
  deps.caller.apiKeyId = keyId;
  return keyId;
}
