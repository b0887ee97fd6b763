import { acceptStep, readAttemptState, recordFailure, type AttemptWrite } from "../db/attempts";
import { ApiError } from "../errors";
import { DEFAULT_TOKEN } from "../otp/totp";
import { acceptKeyId, type Caller, callerKeyHash } from "./api-key";
import { checkCode, lockAnswer } from "./code-check";
import type { Deps } from "./deps";
import { newEvent, written } from "./events";
import { cachedUserKey, forgetUserKey, userHmacKey, type UserKey } from "./user-keys";

export interface VerificationRequest {
  caller: Caller;
  userId: number;
  /** The code as typed (the API calls it `token`), already checked to be decimal digits, as many as some token has (src/routes/validate.ts); the user's own count is checked here. */
  code: string;
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
 *
 * The token is checked with the user's own parameters (algorithm, digits, period), around the
 * drift last recorded (RFC 6238 §6), and an accepted step records its drift. A token of another
 * length than the user's is malformed (code 3, counted nothing), as any other malformed token.
 *
 * Round trips to the D1 primary: with the user's key cached in this isolate, or a copy of the
 * user's row in the data center (src/db/user-copies.ts), the token is checked first and its outcome
 * written in one round trip, guarded by the ciphertext the key came from and the drift it was
 * checked around; otherwise (or when either changed) the user is read first, then the outcome is
 * written: two, and the row read is copied for the next isolate. The parameters come with the key
 * (they change only with the secret).
 */
export async function verifyCode(deps: Deps, request: VerificationRequest): Promise<boolean> {
  const now = deps.now();
  const keyHash = await callerKeyHash(deps, request.caller);
  const known = cachedUserKey(request.userId) ?? (await copiedUserKey(deps, request.userId));
  // A token of another length than the known parameters is read about: a reset elsewhere may have changed them.
  if (known && request.code.length === known.row.token.digits) {
    const outcome = await checkAndWrite(deps, request, keyHash, known, now);
    if (outcome !== "stale") return outcome;
    forgetUserKey(request.userId);
  }
  // A secret that changes between the read and the write (re-sealed by a rotation, or replaced)
  // wrote nothing: read it again. Twice in a row within one request is a fault, not a race.
  for (let reads = 0; reads < 2; reads++) {
    const state = await readAttemptState(deps.db, keyHash, request.userId);
    await acceptKeyId(deps, request.caller, state.apiKeyId, keyHash);
    const user = state.user;
    // A userid that names nobody has the default parameters: a 6-digit-only deployment answers as it always did.
    if (!user) throw request.code.length === DEFAULT_TOKEN.digits ? ApiError.userNotFound() : ApiError.invalid("token");
    const row = { username: user.username, usernameKey: user.usernameKey, secret: user.secret, token: user.token, drift: user.drift };
    deps.copies.write(request.userId, row);
    if (request.code.length !== user.token.digits) throw ApiError.invalid("token");
    refuseLocked(user.lockedUntil, now);
    const key = await userHmacKey(deps, request.userId, row);
    const outcome = await checkAndWrite(deps, request, keyHash, key, now, user.lastStep);
    if (outcome !== "stale") return outcome;
  }
  throw new Error("the user's secret changed under every attempt to check the token");
}

/**
 * The key from the data center's copy of the user's row, when there is one: opened, and cached in
 * the isolate. A copy that cannot be opened (sealed under a key the keyring no longer has: the
 * secret was re-sealed and the old key dropped since) is stale like any other: the primary is read.
 */
async function copiedUserKey(deps: Deps, userId: number): Promise<UserKey | undefined> {
  const copy = await deps.copies.read(userId);
  if (!copy) return undefined;
  try {
    return await userHmacKey(deps, userId, copy);
  } catch {
    deps.copies.forget(userId);
    return undefined;
  }
}

/**
 * Checks the token with `key` and writes the outcome: a wrong token counted, a right one accepted.
 * "stale" when the user's ciphertext is no longer the one `key` came from, or the drift no longer
 * the one the token was checked around (nothing was written). `lastStep`, when just read, refuses
 * a replay without a write. An acceptance updates `key.row.drift`, the cache's copy.
 */
async function checkAndWrite(
  deps: Deps,
  request: VerificationRequest,
  keyHash: string,
  key: UserKey,
  now: number,
  lastStep?: number,
): Promise<boolean | "stale"> {
  const { row } = key;
  const user = { token: row.token, drift: row.drift, lastStep };
  const check = await checkCode({ user, key: key.key, nowMs: now, totp: deps.config.totp }, request.code);
  if (check.kind === "used") throw ApiError.tokenUsed();
  if (check.kind === "locked") throw ApiError.tooManyAttempts(check.retrySeconds);
  const accepted = check.kind === "accept" ? check.acceptance : null;
  const guard = { keyHash, ciphertext: row.secret.ciphertext, drift: row.drift };
  const drift = accepted ? accepted.drift : row.drift;
  const event = newEvent(deps, accepted ? "user.confirmed" : "user.locked");
  const write = accepted
    ? await acceptStep(deps.db, request.userId, guard, accepted, now, event.id)
    : await recordFailure(deps.db, request.userId, guard, now, deps.config.lockout, event.id);
  await acceptKeyId(deps, request.caller, write.apiKeyId, keyHash);
  written(deps, event, write.eventRows);
  if (write.written) {
    // The data center's copy is guarded by the drift too: keep it current, or the next isolate pays a read.
    if (drift !== row.drift) deps.copies.write(request.userId, { ...row, drift });
    row.drift = drift;
    return accepted !== null;
  }
  refuseLost(write, now);
  if (write.state!.ciphertext !== row.secret.ciphertext || write.state!.drift !== row.drift) return "stale";
  // Not deleted, not locked, same secret: the acceptance lost to one of this step or a later one.
  throw ApiError.tokenUsed();
}

/** A conditional write that did not happen because the user was deleted or is locked. */
function refuseLost(write: AttemptWrite, now: number): void {
  if (write.state === null) throw ApiError.userNotFound();
  refuseLocked(write.state.lockedUntil, now);
}

function refuseLocked(lockedUntil: number, now: number): void {
  const locked = lockAnswer(lockedUntil, now);
  if (locked) throw ApiError.tooManyAttempts(locked.retrySeconds);
}
