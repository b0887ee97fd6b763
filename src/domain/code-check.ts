import type { Acceptance } from "../db/attempts";
import { type OtpKey, otpKey } from "../otp/hmac";
import { matchTotpPair, matchTotpStep, type TokenParams, type TotpParams, timeStep } from "../otp/totp";

/**
 * The one owner of checking a code against a user's token (privacyIDEA's check_otp, authelia's
 * Regulator): the parameters it is computed with, the window around the recorded drift, the
 * replay step, the drift an accepted step records, and the lock's answer with its retry seconds.
 * validate (src/domain/verification.ts), the portal's first code (src/domain/portal.ts), the
 * renewal of recovery codes (src/domain/recovery-renewal.ts), an operator's resync
 * (src/domain/resync.ts) and the console's login and enrolment (src/domain/admins.ts) all decide
 * here; each writes the outcome with its own statements.
 */

/** What is known of the user's token when a code is checked. `lastStep` and `lockedUntil` when just read. */
interface TokenState {
  token: TokenParams;
  /** The offset of the last accepted step from the server's (RFC 6238 §6): the window's centre. A resync searches around the server's step. */
  drift?: number;
  lastStep?: number;
  lockedUntil?: number;
}

/** How a code (or resync's pair) fared: what to write comes with it (an acceptance, or a failure to count). */
export type CodeCheck =
  | { kind: "accept"; acceptance: Acceptance }
  | { kind: "wrong" }
  /** This step, or a later one, was accepted already: a replay, which counts nothing. */
  | { kind: "used" }
  | CodeLock;

/** The lock's answer: the code was not checked. */
export interface CodeLock {
  kind: "locked";
  retrySeconds: number;
}

interface CheckInput {
  user: TokenState;
  /** The user's HMAC key (validate's cache), or how to open their secret: opened only when the user is not locked. */
  key: OtpKey | (() => Promise<Uint8Array>);
  nowMs: number;
  /** The deployment's window and T0 (Config["totp"]); digits and period come from the user's token. */
  totp: TotpParams;
}

/** People copy codes as "123 456". */
export const codeAsTyped = (typed: string): string => typed.replace(/\s+/g, "");

/** Whether `code` is all decimal digits, `digits` of them (one of a token's lengths when given a list). */
export function isCode(code: string, digits: number | readonly number[]): boolean {
  const lengths: readonly number[] = typeof digits === "number" ? [digits] : digits;
  return /^[0-9]+$/.test(code) && lengths.includes(code.length);
}

/** One code, within the window around the user's drift (src/otp/totp.ts matchTotpStep). */
export async function checkCode({ user, key, nowMs, totp }: CheckInput, code: string): Promise<CodeCheck> {
  const locked = lockAnswer(user.lockedUntil ?? 0, nowMs);
  if (locked) return locked;
  const params = tokenTotp(totp, user.token);
  return verdict(matchTotpStep(await keyOf(key, user), code, nowMs, params, user.drift), user, nowMs, params);
}

/** Two consecutive codes within ±`wide` steps of the server's (an operator's resync, RFC 6238 §6). */
export async function checkCodePair(
  { user, key, nowMs, totp }: CheckInput,
  codes: readonly [string, string],
  wide: number,
): Promise<CodeCheck> {
  const locked = lockAnswer(user.lockedUntil ?? 0, nowMs);
  if (locked) return locked;
  const params = tokenTotp(totp, user.token);
  return verdict(matchTotpPair(await keyOf(key, user), codes[0], codes[1], nowMs, params, wide), user, nowMs, params);
}

async function keyOf(key: CheckInput["key"], user: TokenState): Promise<OtpKey> {
  return typeof key === "function" ? otpKey(await key(), user.token.algorithm) : key;
}

function verdict(step: number | null, user: TokenState, nowMs: number, params: TotpParams): CodeCheck {
  if (step === null) return { kind: "wrong" };
  // Never back: a step at or before one already accepted would let a recorded code be replayed.
  if (user.lastStep !== undefined && step <= user.lastStep) return { kind: "used" };
  return { kind: "accept", acceptance: { step, drift: step - timeStep(nowMs, params) } };
}

/** The user's token's parameters with the deployment's window and T0. */
function tokenTotp(totp: TotpParams, token: TokenParams): TotpParams {
  return { ...totp, digits: token.digits, period: token.period };
}

/** The lock's answer while `lockedUntil` lies ahead (before a check, or after a write that lost to a lock); else null. */
export function lockAnswer(lockedUntil: number, nowMs: number): CodeLock | null {
  return lockedUntil > nowMs ? { kind: "locked", retrySeconds: retrySeconds(lockedUntil, nowMs) } : null;
}

/** Whole seconds until `lockedUntil`, at least 1: "retry in 0 s" would invite a retry that is still refused. */
export function retrySeconds(lockedUntil: number, nowMs: number): number {
  return Math.max(1, Math.ceil((lockedUntil - nowMs) / 1000));
}
