import { acceptStep, readAttemptState, recordFailure, type AttemptWrite } from "../db/attempts";
import { ApiError } from "../errors";
import { matchTotpStep } from "../otp/totp";
import { acceptKeyId, callerKeyHash } from "./api-key";
import type { Deps } from "./deps";
import { userHmacKey } from "./user-keys";

export interface VerificationRequest {
  apiKey: string | undefined;
  userId: number;
  /** Already checked to be `digits` decimal digits. */
  token: string;
}

/**
 * RFC 6238 validation with replay refusal (§5.2) and lockout. Returns whether the token is valid;
 * refusals that are not a plain "not valid" (bad key, unknown user, lock, replay) throw ApiError.
 *
 * The token is checked before anything is counted, and only a wrong token is counted: a replay
 * tells a guesser nothing and a server fault is not the caller's, so neither may lock anybody out.
 * Every answer that reveals something about a token rests on a conditional write made while the
 * user was not locked (the failure count, or the acceptance), so concurrent guesses cannot outrun
 * the lock: of N parallel wrong guesses, at most `threshold` are answered "not valid".
 */
export async function verifyToken(deps: Deps, request: VerificationRequest): Promise<boolean> {
  const now = deps.now();
  const keyHash = await callerKeyHash(deps, request.apiKey);
  const state = await readAttemptState(deps.db, keyHash, request.userId);
  await acceptKeyId(deps, state.keyId, keyHash);
  const user = state.user;
  if (!user) throw ApiError.userNotFound();
  if (user.lockedUntil > now) throw lockedError(user.lockedUntil, now);

  const key = await userHmacKey(deps, request.userId, user);
  const step = matchTotpStep(key, request.token, now, deps.config.totp);
  if (step === null) {
    refuseLost(await recordFailure(deps.db, request.userId, now, deps.config.lockout), now);
    return false;
  }
  if (step <= user.lastStep) throw ApiError.tokenUsed();
  const accepted = await acceptStep(deps.db, request.userId, step, now);
  refuseLost(accepted, now);
  // Not deleted, not locked: lost the compare-and-set to an acceptance of this step or a later one.
  if (!accepted.written) throw ApiError.tokenUsed();
  return true;
}

/** A conditional write that did not happen because the user was deleted or locked meanwhile. */
function refuseLost(write: AttemptWrite, now: number): void {
  if (write.written) return;
  if (write.lockedUntil === null) throw ApiError.userNotFound();
  if (write.lockedUntil > now) throw lockedError(write.lockedUntil, now);
}

function lockedError(lockedUntil: number, now: number): ApiError {
  return ApiError.tooManyAttempts(Math.max(1, Math.ceil((lockedUntil - now) / 1000)));
}
