import { OTP_ALGORITHMS } from "../otp/hmac";
import { TOKEN_DIGITS, TOKEN_PERIODS, type TokenParams } from "../otp/totp";
import { users } from "./schema";

/** The user's token parameters and drift, as every read of validate and the portal selects them. */
export const tokenColumns = {
  algorithm: users.totpAlgorithm,
  digits: users.totpDigits,
  period: users.totpPeriod,
  drift: users.totpDrift,
};

/**
 * The parameters out of a row read with tokenColumns. Only createuser and the import write them,
 * with allowed values: anything else is a damaged row, and a fault rather than a guess.
 */
export function tokenParamsOf(row: { algorithm: TokenParams["algorithm"]; digits: number; period: number }): TokenParams {
  const { algorithm, digits, period } = row;
  if (!isOneOf(TOKEN_DIGITS, digits) || !isOneOf(TOKEN_PERIODS, period) || !isOneOf(OTP_ALGORITHMS, algorithm)) {
    throw new Error(`a user's TOTP parameters are not ones a token has: ${algorithm}, ${digits} digits, ${period} s`);
  }
  return { algorithm, digits, period };
}

function isOneOf<T>(allowed: readonly T[], value: unknown): value is T {
  return allowed.includes(value as T);
}
