import { hotpSha1 } from "./hotp";
import type { HmacSha1Key } from "./hmac-sha1";

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

/** RFC 6238 §4.2: T = floor((now - T0) / X). */
export function timeStep(nowMs: number, params: Pick<TotpParams, "period" | "t0"> = DEFAULT_TOTP): number {
  return Math.floor((Math.floor(nowMs / 1000) - params.t0) / params.period);
}

/**
 * Finds the time step whose code equals `token` within ±window of now, current step first,
 * and stops at the first match. Returns null when none matches. Synchronous: the codes come from
 * hotpSha1, and comparing them as integers is one machine comparison, whose time does not depend
 * on which digits differ.
 */
export function matchTotpStep(key: HmacSha1Key, token: string, nowMs: number, params: TotpParams = DEFAULT_TOTP): number | null {
  if (token.length !== params.digits || !DIGITS.test(token)) return null;
  const expected = Number(token);
  const current = timeStep(nowMs, params);
  for (const offset of stepOrder(params.window)) {
    const step = current + offset;
    if (step < 0) continue;
    if (hotpSha1(key, step, params.digits) === expected) return step;
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
