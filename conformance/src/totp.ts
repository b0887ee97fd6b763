// TOTPs come from `otpauth`, an independent implementation of RFC 6238 (SHA-1, 6 digits, 30 s,
// T0 = 0: the parameters the contract and every authenticator app use).
import * as OTPAuth from "otpauth";

const PERIOD_SECONDS = 30;
/** A request sent with less than this left in its time step could reach the server in the next one. */
const MIN_REMAINING_MS = 2_000;

function totpFor(secretBase32: string): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secretBase32), algorithm: "SHA1", digits: 6, period: PERIOD_SECONDS });
}

/** The token of the time step `offset` steps away from the one containing `nowMs`. */
export function totpAt(secretBase32: string, nowMs: number, offset: number): string {
  return totpFor(secretBase32).generate({ timestamp: nowMs + offset * PERIOD_SECONDS * 1000 });
}

/**
 * A well-formed 6-digit code that is none of the tokens of the 21 steps around now, so it is
 * wrong for any server whose drift window is up to ±10 steps.
 */
export function wrongTotp(secretBase32: string, nowMs: number): string {
  const near = new Set<string>();
  for (let offset = -10; offset <= 10; offset++) near.add(totpAt(secretBase32, nowMs, offset));
  let candidate = (Number(totpAt(secretBase32, nowMs, 0)) + 500_000) % 1_000_000;
  while (near.has(String(candidate).padStart(6, "0"))) candidate = (candidate + 1) % 1_000_000;
  return String(candidate).padStart(6, "0");
}

/** Milliseconds to wait so that a token computed now is still current when the server checks it. */
export function waitBeforeToken(nowMs: number): number {
  const remaining = PERIOD_SECONDS * 1000 - (nowMs % (PERIOD_SECONDS * 1000));
  return remaining < MIN_REMAINING_MS ? remaining + 50 : 0;
}
