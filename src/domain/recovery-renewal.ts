import { verifyPassword } from "../crypto/passwords";
import { countCodeFailure, countPortalFailure, findUserEnrolment } from "../db/portal";
import { acceptCurrentCode, findPortalPassword } from "../db/recovery-codes";
import { checkCode, codeAsTyped, isCode, retrySeconds } from "./code-check";
import type { Deps } from "./deps";
import type { CodeRefusal } from "./portal";
import { issueRecoveryCodes } from "./recovery-codes";
import { openUserSecret } from "./user-keys";

type RenewalOutcome =
  | { kind: "renewed"; codes: string[] }
  | { kind: "wrong-password" }
  /** The portal login's lock (wrong passwords); a CodeRefusal "locked" is the lock of the user's codes. */
  | { kind: "password-locked"; retrySeconds: number }
  | CodeRefusal
  /** Not confirmed (reset meanwhile) or gone: the page shows the current state. */
  | { kind: "stale" };

/**
 * A new set for a logged-in, confirmed user, who proves it is them with their password and a
 * current code (a session left open is not enough to replace the codes). A wrong password counts
 * on the portal login's lock, through the login's own count; a wrong code on the OTP lock, as on
 * validate; the accepted code is spent for the API too. The old set stops working in the batch
 * that stores the new one.
 */
export async function renewRecoveryCodes(deps: Deps, userId: number, form: { password: string; code: string }): Promise<RenewalOutcome> {
  const now = deps.now();
  const [login, user] = await Promise.all([findPortalPassword(deps.db, userId), findUserEnrolment(deps.db, userId)]);
  if (!login || !user || user.confirmedAt === null || login.passwordHash === null) return { kind: "stale" };
  if (login.portalLockedUntil > now) return { kind: "password-locked", retrySeconds: retrySeconds(login.portalLockedUntil, now) };
  if (!(await verifyPassword(form.password, login.passwordHash))) {
    await countPortalFailure(deps.db, userId, now, deps.config.lockout);
    return { kind: "wrong-password" };
  }
  const code = codeAsTyped(form.code);
  if (!isCode(code, user.token.digits)) return { kind: "malformed", digits: user.token.digits };
  const check = await checkCode({ user, key: () => openUserSecret(deps, user), nowMs: now, totp: deps.config.totp }, code);
  if (check.kind === "wrong") {
    await countCodeFailure(deps.db, userId, user.secret.ciphertext, now, deps.config.lockout);
    return { kind: "wrong" };
  }
  if (check.kind !== "accept") return check;
  if (!(await acceptCurrentCode(deps.db, userId, user.secret.ciphertext, check.acceptance, now))) return { kind: "used" };
  return { kind: "renewed", codes: await issueRecoveryCodes(deps, { id: userId, username: user.username }) };
}
