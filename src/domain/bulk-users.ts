import { type ActionOutcome, deleteUser, resetUserSecret, type UserDetails, unlockUser, userDetails } from "./console-users";
import type { Deps } from "./deps";

/** The actions the list's selection offers; each is the single-user action, run once per user. */
const BULK_ACTIONS = ["unlock", "reset-secret", "delete"] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** One page of the list: a selection is never larger, and each user costs a few round trips. */
export const MAX_BULK_USERS = 50;

export function isBulkAction(value: string): value is BulkAction {
  return (BULK_ACTIONS as readonly string[]).includes(value);
}

/** The selected users that exist, as the confirmation shows them; ids that are not numbers of users are dropped. */
export async function selectedUsers(deps: Deps, ids: readonly number[]): Promise<UserDetails[]> {
  const found = await Promise.all([...new Set(ids)].slice(0, MAX_BULK_USERS).map((id) => userDetails(deps, id)));
  return found.filter((user): user is UserDetails => user !== null);
}

export interface BulkResult {
  id: number;
  outcome: ActionOutcome;
  /** A reset's new secret (base32) and its otpauth URI: shown once, on the result page. */
  secret?: string;
  uri?: string;
}

/**
 * Runs the action for each confirmed user, one after the other, through the same domain function
 * as the user's own page: each user's change is its own guarded D1 batch with its audit entry and
 * event, so one user's refusal (deleted meanwhile, or their secret replaced since the
 * confirmation: `versions`) changes nothing for the others.
 */
export async function applyBulk(
  deps: Deps,
  actor: string,
  action: BulkAction,
  confirmed: readonly { id: number; version: string }[],
): Promise<BulkResult[]> {
  const results: BulkResult[] = [];
  for (const { id, version } of confirmed.slice(0, MAX_BULK_USERS)) {
    if (action === "unlock") results.push({ id, outcome: await unlockUser(deps, actor, id) });
    else if (action === "delete") results.push({ id, outcome: await deleteUser(deps, actor, id, version) });
    else {
      const reset = await resetUserSecret(deps, actor, id, version);
      results.push(
        reset.outcome === "done" ? { id, outcome: "done", secret: reset.secret, uri: reset.uri } : { id, outcome: reset.outcome },
      );
    }
  }
  return results;
}
