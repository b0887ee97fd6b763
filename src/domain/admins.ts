import { open, seal, type Sealed } from "../crypto/secret-box";
import { hashPassword, verifyLoginPassword } from "../crypto/passwords";
import { acceptAdminLogin, completeEnrolment, countAdminFailure, findAdminLogin, findEnrolment, openEnrolment } from "../db/admins";
import { actorJson, adminEventStatement } from "../db/outbox";
import { base32Encode } from "../otp/base32";
import { AUDIT_REASONS, type AuditReason } from "../db/audit";
import { auditStatement, unknownLoginStatement } from "./audit";
import { DEFAULT_TOKEN } from "../otp/totp";
import { checkCode, codeAsTyped } from "./code-check";
import type { Deps } from "./deps";
import { newEvent, written } from "./events";
import { commitRefusedLogin } from "./login-refused";
import { loginClient, loginFailureStatements, loginLocked, loginSuccessStatements } from "./login-limits";
import { openForLogin } from "./missing-keys";
import { startSession, tokenHash } from "./sessions";

/** The rule for console passwords (NIST SP 800-63B asks for at least 8; an operator's key to everything gets more). */
export const MIN_ADMIN_PASSWORD_CHARS = 12;
/** Longer passwords only cost PBKDF2 time; 1,024 characters is far beyond any passphrase. */
const MAX_ADMIN_PASSWORD_CHARS = 1024;
/** Admin names: lower-case letters, digits and . _ @ -, 1 to 64 characters (the CLI and the login share this rule). */
const ADMIN_NAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;
/** How long an enrolment link works. */
export const ENROLMENT_LINK_MS = 24 * 3_600_000;
/** RFC 4226 §4 recommends 160-bit secrets, as createuser makes. */
const TOTP_SECRET_BYTES = 20;

/** The admin name as stored (lower case), or null when it cannot be one. */
export function parseAdminName(raw: string): string | null {
  const name = raw.trim().toLowerCase();
  return ADMIN_NAME.test(name) ? name : null;
}

/** The AEAD context of an admin's sealed TOTP secret: it opens only on that admin's row. */
const adminContext = (name: string) => `admin:${name}`;
/** The AEAD context of a secret offered on an enrolment page: it opens only for that link. */
const offerContext = (linkHash: string) => `admin-enrol:${linkHash}`;

/**
 * An enrolment page's new TOTP secret. The page carries it sealed (`offer`) in a hidden field, so
 * a GET stores nothing; the POST opens it with the link's own context.
 */
export interface EnrolmentOffer {
  name: string;
  secret: string;
  offer: string;
}

const serializeSealed = (sealed: Sealed) => `${sealed.sealKeyId}:${sealed.ciphertext}`;
function parseSealed(text: string): Sealed | null {
  const [keyId, ciphertext, extra] = text.split(":");
  return keyId && ciphertext && extra === undefined && text.length <= 512 ? { sealKeyId: keyId, ciphertext } : null;
}

/** A new secret for the link's admin, or null when the link is not (or no longer) usable. */
export async function offerEnrolment(deps: Deps, token: string, secret?: Uint8Array): Promise<EnrolmentOffer | null> {
  const linkHash = await tokenHash(token);
  const enrolment = await findEnrolment(deps.db, linkHash, deps.now());
  if (!enrolment) return null;
  const bytes = secret ?? crypto.getRandomValues(new Uint8Array(TOTP_SECRET_BYTES));
  const sealed = await seal(await deps.keyring(), bytes, offerContext(linkHash));
  return { name: enrolment.name, secret: base32Encode(bytes), offer: serializeSealed(sealed) };
}

export interface EnrolmentForm {
  offer: string;
  password: string;
  passwordAgain: string;
  code: string;
}

/** Why an enrolment did not complete; "link": used, expired, disabled or unknown. */
export type EnrolmentRefusal = "link" | "offer" | "password-length" | "password-mismatch" | "code";

export type EnrolmentOutcome = { ok: true; name: string } | { ok: false; refusal: EnrolmentRefusal; retry?: EnrolmentOffer };

/**
 * Sets the password and the TOTP secret of the link's admin, if the code proves the secret was
 * scanned. A refusal other than "link" comes with the same offer again, so the admin retries with
 * the secret already in their app.
 */
export async function completeAdminEnrolment(deps: Deps, token: string, form: EnrolmentForm): Promise<EnrolmentOutcome> {
  const linkHash = await tokenHash(token);
  const now = deps.now();
  const sealed = parseSealed(form.offer);
  let secret: Uint8Array | null = null;
  try {
    secret = sealed && (await open(await deps.keyring(), sealed, offerContext(linkHash)));
  } catch {
    secret = null;
  }
  if (!secret) {
    const fresh = await offerEnrolment(deps, token);
    return fresh ? { ok: false, refusal: "offer", retry: fresh } : { ok: false, refusal: "link" };
  }
  const retry = await offerEnrolment(deps, token, secret);
  if (!retry) return { ok: false, refusal: "link" };
  const length = [...form.password].length;
  if (length < MIN_ADMIN_PASSWORD_CHARS || length > MAX_ADMIN_PASSWORD_CHARS) return { ok: false, refusal: "password-length", retry };
  if (form.password !== form.passwordAgain) return { ok: false, refusal: "password-mismatch", retry };
  const check = await checkAdminCode(deps, secret, form.code, now);
  if (check.kind !== "accept") return { ok: false, refusal: "code", retry };
  const step = check.acceptance.step;

  const passwordHash = await hashPassword(form.password, deps.config.passwordIterations);
  const totp = await seal(await deps.keyring(), secret, adminContext(retry.name));
  const event = newEvent(deps, "admin.changed");
  const [eventRows, enrolled] = await deps.db.batch([
    adminEventStatement(deps.db, event, actorJson({ type: "admin", name: retry.name }), "enrolled", openEnrolment(linkHash, now)),
    completeEnrolment(deps.db, linkHash, now, passwordHash, totp, step),
    auditStatement(deps, { actor: retry.name, action: "enrol", outcome: "ok" }),
  ]);
  // The link was spent between the check and the write (a second submission): nothing changed but the audit line.
  if (enrolled.length === 0) return { ok: false, refusal: "link" };
  written(deps, event, eventRows);
  return { ok: true, name: retry.name };
}

export interface LoginForm {
  name: string;
  password: string;
  code: string;
}

/**
 * An admin's code (src/domain/code-check.ts, as every code): SHA-1, 6 digits, 30 s (DEFAULT_TOKEN),
 * no drift kept; `lastStep` refuses a replay at login (enrolment has none yet).
 */
function checkAdminCode(deps: Deps, secret: Uint8Array, typed: string, nowMs: number, lastStep?: number) {
  const user = { token: DEFAULT_TOKEN, lastStep };
  return checkCode({ user, key: async () => secret, nowMs, totp: deps.config.totp }, codeAsTyped(typed));
}

/**
 * A session id for the cookie, or null: one answer, the same PBKDF2 work and the same two D1 round
 * trips (the lookup, then one batch) for every refusal: an unknown name, a disabled or unenrolled
 * admin, a lock, a wrong password, a wrong or used code, a secret whose key is missing. Counting
 * and locks: src/domain/login-limits.ts.
 */
export async function loginAdmin(deps: Deps, form: LoginForm): Promise<string | null> {
  const now = deps.now();
  const client = loginClient(deps);
  const name = parseAdminName(form.name);
  const found = name === null ? null : await findAdminLogin(deps.db, name, client);
  const admin = found && !found.disabled && found.passwordHash !== null && found.totp !== null ? found : null;
  const locked = admin !== null && loginLocked(admin, now);
  // The password is checked (or a dummy hash, for unknown, disabled, unenrolled and locked admins)
  // before anything else, so every refusal takes about the same time.
  const passwordOk = await verifyLoginPassword(form.password, admin && !locked ? admin.passwordHash : null, deps.config.passwordIterations);
  if (!found) {
    // An unknown name is not recorded (it may be a password typed into the wrong field), only counted per client and hour.
    await commitRefusedLogin(deps, client, [unknownLoginStatement(deps, client)]);
    return null;
  }
  const refused = (reason: AuditReason) => auditStatement(deps, { actor: found.name, action: "login", outcome: "refused", reason });
  if (!admin || locked) {
    const reason = found.disabled ? AUDIT_REASONS.disabled : admin === null ? AUDIT_REASONS.notEnrolled : AUDIT_REASONS.locked;
    await commitRefusedLogin(deps, client, [refused(reason)]);
    return null;
  }
  const secret = passwordOk ? await openForLogin(await deps.keyring(), admin.totp!, adminContext(admin.name)) : null;
  const check = secret && (await checkAdminCode(deps, secret, form.code, now, admin.lastStep));
  // A used code is refused from the lookup (no compare-and-set that must fail), so it costs the round trips of a wrong one.
  if (check && check.kind === "accept") {
    const accepted = await acceptAdminLogin(deps.db, admin, client, check.acceptance.step, now);
    if (accepted.length > 0) {
      return startSession(deps, "admin", admin.id, [
        auditStatement(deps, { actor: admin.name, action: "login", outcome: "ok" }),
        ...loginSuccessStatements(deps, "admin", admin.id),
      ]);
    }
  }
  // A wrong password, a wrong code, or a code already used: counted alike, so guesses stay bounded.
  // The right password with a secret that cannot be opened is a server fault: refused, not counted.
  const counted = !(passwordOk && secret === null);
  const failure = counted
    ? loginFailureStatements(deps, "admin", admin.id, admin, (policy, guard) => countAdminFailure(deps.db, admin.id, now, policy, guard))
    : [];
  await commitRefusedLogin(deps, client, [refused(counted ? AUDIT_REASONS.wrongCredentials : AUDIT_REASONS.secretUnreadable), ...failure]);
  return null;
}
