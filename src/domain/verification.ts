import { acceptStep, findUserSecret, reserveAttempt } from "../db/users";
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
 */
export async function verifyToken(deps: Deps, request: VerificationRequest): Promise<boolean> {
  const now = deps.now();
  const reservation = await reserveAttempt(
    deps.db,
    await callerKeyHash(request.apiKey),
    request.userId,
    now,
    deps.config.lockout,
  );
  acceptKeyId(deps, reservation.keyId);
  if (reservation.lockedUntil === null) throw ApiError.userNotFound();
  const user = reservation.user;
  if (!user) throw ApiError.tooManyAttempts(Math.max(1, Math.ceil((reservation.lockedUntil - now) / 1000)));

  const key = await userHmacKey(deps, request.userId, user);
  const step = matchTotpStep(key, request.token, now, deps.config.totp);
  if (step === null) return false;
  if (step <= user.lastStep) throw ApiError.tokenUsed();
  if (!(await acceptStep(deps.db, request.userId, step))) {
    // Lost the compare-and-set: a concurrent request took this step, or the user was just deleted.
    throw (await findUserSecret(deps.db, request.userId)) ? ApiError.tokenUsed() : ApiError.userNotFound();
  }
  return true;
}
