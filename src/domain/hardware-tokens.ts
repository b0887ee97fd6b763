import { open, seal } from "../crypto/secret-box";
import { findConsoleUser } from "../db/console-users";
import { findWaitingToken, removeTakenStatement, stillWaiting, takeTokenStatement } from "../db/hardware-tokens";
import { deleteSessionsOf } from "../db/sessions";
import { type ActionOutcome, afterLostRace, commit, refuseStale, secretVersion } from "./console-users";
import type { Deps } from "./deps";

/** What a waiting token's seed is bound to while in the inventory (a user's: their username key). npm run import seals under it. */
export const inventoryContext = (serial: string) => `token:${serial}`;

/**
 * Gives the user the hardware token `serial` from the inventory (a PSKC import), if their secret
 * is still the one confirmed (`version`) and the token still waits: one batch audits it, replaces
 * the user's seed with the token's and takes the token out of the inventory. "no-token": no such
 * serial waits (nothing recorded, as for a mistyped serial).
 */
export async function assignHardwareToken(
  deps: Deps,
  actor: string,
  id: number,
  version: string,
  serial: string,
): Promise<ActionOutcome | "no-token"> {
  const user = await findConsoleUser(deps.db, id);
  if (!user) return "missing";
  const token = await findWaitingToken(deps.db, serial);
  if (!token) return "no-token";
  const act = { actor, action: "user.assign-token", user } as const;
  if ((await secretVersion(user.secret.ciphertext)) !== version) return refuseStale(deps, act);
  const keyring = await deps.keyring();
  const seed = await open(keyring, token.secret, inventoryContext(serial));
  const sealed = await seal(keyring, seed, user.usernameKey);
  seed.fill(0);
  const guard = { id, ciphertext: user.secret.ciphertext, condition: stillWaiting(deps.db, token) };
  const write = takeTokenStatement(deps.db, guard, token, sealed, Math.floor(deps.now() / 1000));
  const done = await commit(deps, act, guard, write, [
    removeTakenStatement(deps.db, token, id, sealed),
    deleteSessionsOf(deps.db, "portal", id),
  ]);
  if (done) return "done";
  return (await findWaitingToken(deps.db, serial)) ? afterLostRace(deps, id) : "no-token";
}
