import type { OtpAlgorithm, OtpKey } from "./hmac";
import { hotp } from "./hotp";

export interface TotpParams {
  /** Seconds per step (RFC 6238 X); 30 by default. */
  period: number;
  digits: number;
  /** Steps accepted before and after the current one (clock drift, RFC 6238 §5.2). */
  window: number;
  /** Unix seconds at which step 0 starts (RFC 6238 T0). */
  t0: number;
}

export const DEFAULT_TOTP: TotpParams = { period: 30, digits: 6, window: 1, t0: 0 };

/** The code lengths and step lengths a user's token may have: what authenticator apps and hardware tokens use. */
export const TOKEN_DIGITS = [6, 8] as const;
export const TOKEN_PERIODS = [30, 60] as const;

/** What a user's token computes, stored with the user: createuser issues the defaults, an import keeps the token's own. */
export interface TokenParams {
  algorithm: OtpAlgorithm;
  digits: (typeof TOKEN_DIGITS)[number];
  period: (typeof TOKEN_PERIODS)[number];
}

export const DEFAULT_TOKEN: TokenParams = { algorithm: "SHA1", digits: 6, period: 30 };

/** RFC 6238 §4.2: T = floor((now - T0) / X). */
export function timeStep(nowMs: number, params: Pick<TotpParams, "period" | "t0"> = DEFAULT_TOTP): number {
  return Math.floor((Math.floor(nowMs / 1000) - params.t0) / params.period);
}

/**
 * Finds the time step whose code equals `token` and stops at the first match; null when none does.
 * The steps tried are ±window around the step the token's clock was last seen at (`drift`, the
 * offset of the last accepted step from the server's, RFC 6238 §6), likeliest first, and then
 * ±window around the server's own step, so a recorded drift (a code typed late moves it by one)
 * never refuses a token whose clock is right. Synchronous: the codes come from hotp, and comparing
 * them as integers is one machine comparison, whose time does not depend on which digits differ.
 */
export function matchTotpStep(key: OtpKey, token: string, nowMs: number, params: TotpParams = DEFAULT_TOTP, drift = 0): number | null {
  if (token.length !== params.digits || !DIGITS.test(token)) return null;
  const expected = Number(token);
  const current = timeStep(nowMs, params);
  for (const offset of stepOrder(params.window)) {
    const step = current + drift + offset;
    if (step >= 0 && hotp(key, step, params.digits) === expected) return step;
  }
  if (drift === 0) return null;
  for (const offset of stepOrder(params.window)) {
    if (Math.abs(offset - drift) <= params.window) continue; // tried above
    const step = current + offset;
    if (step >= 0 && hotp(key, step, params.digits) === expected) return step;
  }
  return null;
}

/**
 * The most steps matchTotpStep tries for one code: ±window around the recorded drift, then
 * ±window around the server's step, when the two windows do not overlap. What one guess is worth.
 */
export function mostStepsTried(window: number): number {
  return 2 * (2 * window + 1);
}

/**
 * An operator's resync (RFC 4226 §7.4, for time steps): the step s within ±`wide` of the server's
 * step whose code is `first` and whose successor's is `second`, nearest first. Returns s + 1, the
 * step of the later code, or null. Two consecutive codes make a chance match over the wide window
 * about (2·wide+1)·10^-2·digits likely, where one code would be (2·wide+1)·10^-digits.
 */
export function matchTotpPair(key: OtpKey, first: string, second: string, nowMs: number, params: TotpParams, wide: number): number | null {
  if (![first, second].every((code) => code.length === params.digits && DIGITS.test(code))) return null;
  const [one, two] = [Number(first), Number(second)];
  const current = timeStep(nowMs, params);
  for (const offset of stepOrder(wide)) {
    const step = current + offset;
    if (step >= 0 && hotp(key, step, params.digits) === one && hotp(key, step + 1, params.digits) === two) return step + 1;
  }
  return null;
}

const DIGITS = /^[0-9]+$/;

const stepOrders = new Map<number, number[]>();

/** 0, -1, +1, -2, +2, …: the likeliest step first. */
function stepOrder(window: number): number[] {
  let order = stepOrders.get(window);
  if (!order) {
    order = [0];
    for (let i = 1; i <= window; i++) order.push(-i, i);
    stepOrders.set(window, order);
  }
  return order;
}
