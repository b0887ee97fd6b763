import { ApiError, HttpError } from "../errors";
import type { Deps } from "./deps";
import { countRefusedKey } from "./key-refusals";

/**
 * Keeps anonymous floods off D1. Each key check is a D1 query, so a client sending wrong keys as
 * fast as it can would slow every legitimate validation (measured: 130 wrong-key requests/s took a
 * legitimate validate's latency locally from ~13 ms to ~330 ms). Two defences, per isolate:
 * - a key refused in the last REFUSED_TTL_MS is refused again without a query;
 * - an address whose refusals pass the KEY_REFUSALS rate limit (shared by the isolates of a
 *   location) is blocked for BLOCK_MS: its requests are answered 429 without a query, except
 *   those with a key this isolate accepted in the last ACCEPTED_TTL_MS, so a relying party whose
 *   server shares the address of a flooder keeps working.
 * These caches only ever refuse; accepting a key always takes its D1 check (a revoked key is
 * refused at once).
 */
const REFUSED_TTL_MS = 30_000;
const ACCEPTED_TTL_MS = 60_000;
const BLOCK_MS = 10_000;

/** Entries with an expiry; the oldest is dropped past `limit`, so a flood of new keys costs bounded memory. */
class ExpiringSet {
  private readonly until = new Map<string, number>();
  constructor(private readonly limit: number) {}

  has(item: string, now: number): boolean {
    const expiry = this.until.get(item);
    if (expiry === undefined) return false;
    if (expiry > now) return true;
    this.until.delete(item);
    return false;
  }

  add(item: string, expiry: number): void {
    this.until.delete(item);
    if (this.until.size >= this.limit) this.until.delete(this.until.keys().next().value!);
    this.until.set(item, expiry);
  }

  delete(item: string): void {
    this.until.delete(item);
  }
}

const refusedKeys = new ExpiringSet(10_000);
const acceptedKeys = new ExpiringSet(1_000);
const blockedAddresses = new ExpiringSet(10_000);

/** Refuses, before any query, a key that was just refused, and unknown keys from a blocked address. */
export function screenKey(deps: Deps, keyHash: string): void {
  const now = deps.now();
  if (refusedKeys.has(keyHash, now)) {
    countRefusedKey(deps);
    throw ApiError.invalidApiKey();
  }
  const address = deps.client.address;
  // Not counted in the audit trail: the flood limit answers these, and its block starts from counted refusals.
  if (address !== undefined && blockedAddresses.has(address, now) && !acceptedKeys.has(keyHash, now)) {
    throw HttpError.tooManyRequests(BLOCK_MS / 1000);
  }
}

/** Remembers what D1 said of a key; a refusal counts against the caller's address. */
export async function noteKey(deps: Deps, keyHash: string, accepted: boolean): Promise<void> {
  const now = deps.now();
  if (accepted) {
    refusedKeys.delete(keyHash);
    acceptedKeys.add(keyHash, now + ACCEPTED_TTL_MS);
    return;
  }
  refusedKeys.add(keyHash, now + REFUSED_TTL_MS);
  countRefusedKey(deps);
  const { address } = deps.client;
  // Cloudflare always sets CF-Connecting-IP; only direct calls in tests come without one.
  if (address === undefined || !deps.refusalLimiter) return;
  const outcome = await deps.refusalLimiter.limit({ key: address });
  if (!outcome.success) blockedAddresses.add(address, now + BLOCK_MS);
}
