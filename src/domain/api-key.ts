import { hashApiKey } from "../crypto/api-keys";
import { findActiveKeyId } from "../db/api-keys";
import { ApiError } from "../errors";
import type { Deps } from "./deps";
import { noteKey, screenKey } from "./key-guard";
import { countRefusedKey } from "./key-refusals";

/**
 * Who is calling: the API key as sent, and its id once a D1 lookup accepted it. One per request,
 * made by the route (a typed context variable): the request log names the key's id, and the
 * "wrong key outranks" rule knows whether the key still needs checking.
 */
export interface Caller {
  readonly apiKey: string | undefined;
  apiKeyId?: number;
}

/** Resolves the caller's key to its id, or refuses with "invalid api key" (absent keys too). */
export async function requireApiKey(deps: Deps, caller: Caller): Promise<number> {
  const keyHash = await callerKeyHash(deps, caller);
  return acceptKeyId(deps, caller, await findActiveKeyId(deps.db, keyHash), keyHash);
}

/**
 * The digest a key is looked up by, for queries that check the key in their own round trip. An
 * absent key, a key refused moments ago and a flooding address are refused before any query.
 */
export async function callerKeyHash(deps: Deps, caller: Caller): Promise<string> {
  if (!caller.apiKey) {
    countRefusedKey(deps);
    throw ApiError.invalidApiKey();
  }
  const keyHash = await hashApiKey(caller.apiKey);
  screenKey(deps, keyHash);
  return keyHash;
}

/** Takes the id of the caller's key as a lookup found it (null: no active key), or refuses. */
export async function acceptKeyId(deps: Deps, caller: Caller, apiKeyId: number | null, keyHash: string): Promise<number> {
  await noteKey(deps, keyHash, apiKeyId !== null);
  if (apiKeyId === null) throw ApiError.invalidApiKey();
  caller.apiKeyId = apiKeyId;
  return apiKeyId;
}
