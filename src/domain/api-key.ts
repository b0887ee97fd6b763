import { hashApiKey } from "../crypto/api-keys";
import { findActiveKeyId } from "../db/api-keys";
import { ApiError } from "../errors";
import type { Deps } from "./deps";

/** Resolves the caller's key to its id, or refuses with "invalid api key" (absent keys too). */
export async function requireApiKey(deps: Deps, key: string | undefined): Promise<number> {
  if (!key) throw ApiError.invalidApiKey();
  const id = await findActiveKeyId(deps.db, await hashApiKey(key));
  if (id === null) throw ApiError.invalidApiKey();
  return id;
}
