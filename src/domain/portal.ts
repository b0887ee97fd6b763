import { verifyLoginPassword } from "../crypto/passwords";
import { acceptFirstCode, acceptPortalLogin, countCodeFailure, countPortalFailure, findPortalLogin, findUserEnrolment } from "../db/portal";
import { base32Encode } from "../otp/base32";
import { TOKEN_DIGITS } from "../otp/totp";
import { checkCode, codeAsTyped, type CodeLock, isCode, lockAnswer } from "./code-check";
import type { Deps } from "./deps";
import { loginClient, loginFailureStatements, loginLocked, loginSuccessStatements } from "./login-limits";
import { otpauthUri } from "./enrollment-qr";
import { newEvent, written } from "./events";
import { usernameKeys } from "./identity";
import { startSession } from "./sessions";
import { openForLogin } from "./missing-keys";

/** createuser's own limit: a longer name is no user's, and is not looked up. */
const MAX_USERNAME_CHARS = 255;
/** User ids start at 1: a statement for this id matches no row. */
const NO_USER = 0;

interface PortalLoginForm {
  username: string;
  password: string;
}

/** A session id for the cookie, or why not: the route answers every refusal alike. */
type PortalLoginOutcome = { ok: true; sessionId: string } | { ok: false; refusal: "wrong" | "locked" };

/**
 * Logs a user into the portal with their local password (api.php changelocaluserpassword).
 * Unknown names, users without a password and locked users all get the PBKDF2 work of a dummy
 * hash and the same failure write, so neither the answer nor its time tells whether the name
 * exists or is locked. Only a wrong password of a user who has one is counted, per client and on
 * the portal's own count (src/domain/login-limits.ts), never on the user's codes.
 */
export async function loginPortalUser(deps: Deps, form: PortalLoginForm): Promise<PortalLoginOutcome> {
  const now = deps.now();
  const { client, found, locked, stored, passwordOk } = await checkPortalPassword(deps, form, now);
  if (found === null || stored === null || !passwordOk) {
    await countRefusedPortalLogin(deps, found, stored, now);
    return { ok: false, refusal: locked ? "locked" : "wrong" };
  }
  // Locked (by concurrent guesses) or re-passworded since the check: no session.
  if (!(await acceptPortalLogin(deps.db, found, stored, client, now))) return { ok: false, refusal: "locked" };
  return { ok: true, sessionId: await startSession(deps, "portal", found.id, loginSuccessStatements(deps, "portal", found.id)) };
}

/**
 * The password step of a portal sign-in (the login, and "lost your phone?" in src/domain/recovery.ts):
 * the user a typed name means, and whether the password is theirs. `stored` is null (and the PBKDF2
 * work done against a dummy hash) for an unknown name, a user without a password, and a locked login.
 */
export async function checkPortalPassword(deps: Deps, form: PortalLoginForm, now: number) {
  const client = loginClient(deps);
  const name = form.username.trim();
  const found = name === "" || [...name].length > MAX_USERNAME_CHARS ? null : await findPortalLogin(deps.db, usernameKeys(name), client);
  const locked = found !== null && loginLocked(found, now);
  const stored = found && !locked ? found.passwordHash : null;
  const passwordOk = await verifyLoginPassword(form.password, stored, deps.config.passwordIterations);
  return { client, found, locked, stored, passwordOk };
}

/**
 * A refused portal sign-in (or recovery): one write batch whatever the reason, counting only a
 * wrong password or code of a user who has a password, per client and on the account's ceiling
 * (src/domain/login-limits.ts). A refusal that skipped the D1 round trip would be faster, and tell
 * that the name is not counted.
 */
export async function countRefusedPortalLogin(
  deps: Deps,
  found: Awaited<ReturnType<typeof findPortalLogin>>,
  stored: string | null,
  now: number,
): Promise<void> {
  const [first, ...rest] =
    found !== null && stored !== null
      ? loginFailureStatements(deps, "portal", found.id, found, (policy, guard) =>
          countPortalFailure(deps.db, found.id, now, policy, guard),
        )
      : [countPortalFailure(deps.db, NO_USER, now, deps.config.lockout)];
  await deps.db.batch([first!, ...rest]);
}

/** What the portal shows a logged-in user, read afresh on every request (a console reset shows at once). */
export type PortalAccount =
  /** The secret is sealed under a key the keyring lacks: nothing can be shown or checked until an operator acts. */
  | { state: "unreadable"; username: string }
  | {
      state: "unconfirmed";
      username: string;
      /** Base32, for typing. */
      secret: string;
      /** The otpauth URI the QR code carries. */
      uri: string;
      /** How many digits the user's codes have. */
      digits: number;
      /** Seconds until wrong codes stop locking the confirmation, when locked. */
      lockedSeconds: number | null;
    }
  | { state: "confirmed"; username: string; confirmedAt: number };

/** Null when the user is gone. A confirmed user's secret is not even decrypted. */
export async function portalAccount(deps: Deps, userId: number): Promise<PortalAccount | null> {
  const user = await findUserEnrolment(deps.db, userId);
  if (!user) return null;
  if (user.confirmedAt !== null) return { state: "confirmed", username: user.username, confirmedAt: user.confirmedAt };
  const opened = await openForLogin(await deps.keyring(), user.secret, user.usernameKey);
  // Sealed under a key the keyring lacks (logged once): the page says so, never a 500.
  if (!opened) return { state: "unreadable", username: user.username };
  const secret = base32Encode(opened);
  const now = deps.now();
  return {
    state: "unconfirmed",
    username: user.username,
    secret,
    uri: otpauthUri(deps, user.username, secret, user.token),
    digits: user.token.digits,
    lockedSeconds: lockAnswer(user.lockedUntil, now)?.retrySeconds ?? null,
  };
}

/** Why a code typed in the portal was not accepted. */
export type CodeRefusal =
  /** `digits`: how many the user's codes have. */
  { kind: "malformed"; digits: number } | { kind: "wrong" } | { kind: "used" } | CodeLock;

type ConfirmOutcome =
  | { kind: "confirmed" }
  | CodeRefusal
  /** Confirmed already (here or through the API), reset meanwhile, or gone: the page shows the current state. */
  | { kind: "stale" };

/**
 * Checks the first code against the user's current secret and, if right, accepts it with
 * validate's compare-and-set, so it confirms the user and is spent for the API as well. A wrong
 * code counts on the OTP lock as on validate; a code of an already accepted step counts nothing.
 * A confirmed user's codes are not checked here at all: the portal is no second validate.
 */
export async function confirmFirstCode(deps: Deps, userId: number, typed: string): Promise<ConfirmOutcome> {
  const now = deps.now();
  const code = codeAsTyped(typed);
  if (!isCode(code, TOKEN_DIGITS)) return { kind: "malformed", digits: deps.config.totp.digits };
  const user = await findUserEnrolment(deps.db, userId);
  if (!user || user.confirmedAt !== null) return { kind: "stale" };
  if (code.length !== user.token.digits) return { kind: "malformed", digits: user.token.digits };
  const ciphertext = user.secret.ciphertext;
  const opened = await openForLogin(await deps.keyring(), user.secret, user.usernameKey);
  // Its secret cannot be opened (a key missing from the keyring): the page shows why.
  if (!opened) return { kind: "stale" };
  const check = await checkCode({ user, key: async () => opened, nowMs: now, totp: deps.config.totp }, code);
  if (check.kind === "wrong") {
    // "Not right" only for a code that was counted: concurrent wrong codes past the lock are told the lock.
    if (await countCodeFailure(deps.db, userId, ciphertext, now, deps.config.lockout)) return { kind: "wrong" };
    return (await whyNotWritten(deps, userId, ciphertext, now)) ?? { kind: "locked", retrySeconds: 1 };
  }
  if (check.kind !== "accept") return check;
  const event = newEvent(deps, "user.confirmed");
  const accepted = await acceptFirstCode(deps.db, userId, ciphertext, check.acceptance, now, event);
  if (accepted.changed) {
    written(deps, event, accepted.eventRows);
    return { kind: "confirmed" };
  }
  return (await whyNotWritten(deps, userId, ciphertext, now)) ?? { kind: "used" };
}

/** Why a guarded write of a confirmation did not happen, from the state after it: stale, locked, or null (neither). */
async function whyNotWritten(deps: Deps, userId: number, ciphertext: string, now: number): Promise<ConfirmOutcome | null> {
  const after = await findUserEnrolment(deps.db, userId);
  if (!after || after.confirmedAt !== null || after.secret.ciphertext !== ciphertext) return { kind: "stale" };
  return lockAnswer(after.lockedUntil, now);
}
