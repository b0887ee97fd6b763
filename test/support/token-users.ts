// Users with other token parameters than createuser's, as npm run import makes them: inserted
// straight into D1 with their secret sealed by the Worker's own seal(), and codes for them from
// an independent implementation (otpauth).
import { env } from "cloudflare:workers";
import * as OTPAuth from "otpauth";
import { loadKeyring, seal } from "../../src/crypto/secret-box";
import { base32Encode } from "../../src/otp/base32";
import type { TokenParams } from "../../src/otp/totp";
import { uniqueEmail } from "../helpers";

export interface TokenUser {
  userId: number;
  username: string;
  /** Base32. */
  secret: string;
  token: TokenParams;
}

interface TokenUserOptions {
  secret?: Uint8Array;
  username?: string;
  /** Unix seconds, or null (the default): not confirmed. */
  confirmedAt?: number | null;
  drift?: number;
}

export async function insertTokenUser(token: TokenParams, options: TokenUserOptions = {}): Promise<TokenUser> {
  const username = options.username ?? uniqueEmail("token");
  const usernameKey = username.toLowerCase();
  const secret = options.secret ?? crypto.getRandomValues(new Uint8Array(token.algorithm === "SHA512" ? 64 : 32));
  const sealed = await seal(await loadKeyring(env.SECRET_ENCRYPTION_KEYS), secret, usernameKey);
  const row = await env.DB.prepare(
    `INSERT INTO users (username, username_key, email, secret_ciphertext, secret_key_id, confirmed_at, totp_algorithm, totp_digits, totp_period, totp_drift)
     VALUES (?1, ?2, ?1, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id`,
  )
    .bind(
      username,
      usernameKey,
      sealed.ciphertext,
      sealed.sealKeyId,
      options.confirmedAt ?? null,
      token.algorithm,
      token.digits,
      token.period,
      options.drift ?? 0,
    )
    .first<{ id: number }>();
  return { userId: row!.id, username, secret: base32Encode(secret), token };
}

/** The code of `user`'s token at `nowMs`, from a token clock `stepOffset` of its steps ahead (negative: behind). */
export function codeOf(user: Pick<TokenUser, "secret" | "token">, nowMs: number, stepOffset = 0): string {
  const totp = new OTPAuth.TOTP({
    secret: OTPAuth.Secret.fromBase32(user.secret),
    algorithm: user.token.algorithm,
    digits: user.token.digits,
    period: user.token.period,
  });
  return totp.generate({ timestamp: nowMs + stepOffset * user.token.period * 1000 });
}

export const userRow = (id: number) =>
  env.DB.prepare(
    "SELECT last_step, failed_attempts, locked_until, totp_drift, totp_algorithm, totp_digits, totp_period, confirmed_at FROM users WHERE id = ?",
  )
    .bind(id)
    .first<{
      last_step: number;
      failed_attempts: number;
      locked_until: number;
      totp_drift: number;
      totp_algorithm: string;
      totp_digits: number;
      totp_period: number;
      confirmed_at: number | null;
    }>();
