import { findUserEnrolment } from "../db/portal";
import { constantTimeEqual, utf8 } from "../crypto/encoding";
import { base32Encode } from "../otp/base32";
import { DEFAULT_TOKEN, type TokenParams } from "../otp/totp";
import type { Db } from "../db/client";
import { type Deps, readAllowingLag } from "./deps";
import { openUserSecret } from "./user-keys";

/**
 * The otpauth URI (Google Authenticator Key Uri Format) for a user, or null unless the user exists
 * and `secret` is their secret: the hashqr URL is a capability, not a lookup by id. With
 * HIDE_QR_AFTER_CONFIRMATION on, also null once the user is confirmed (the same 404 as a wrong secret).
 * Read from a replica; only a miss asks the primary (readAllowingLag).
 */
export async function enrollmentUri(deps: Deps, userId: number, secret: string): Promise<string | null> {
  return readAllowingLag(deps, (db) => uriIfSecretMatches(deps, db, userId, secret));
}

async function uriIfSecretMatches(deps: Deps, db: Db, userId: number, secret: string): Promise<string | null> {
  const user = await findUserEnrolment(db, userId);
  if (!user) return null;
  if (deps.config.hideQrAfterConfirmation && user.confirmedAt !== null) return null;
  let actual: string;
  try {
    actual = base32Encode(await openUserSecret(deps, user));
  } catch {
    return null;
  }
  if (!constantTimeEqual(utf8.encode(actual), utf8.encode(secret))) return null;
  return otpauthUri(deps, user.username, actual, user.token);
}

/**
 * The otpauth URI of `secret` (base32) for `account`, under the configured issuer, with the
 * token's parameters (createuser's SHA1/6/30 unless the user was imported with others).
 */
export function otpauthUri(deps: Pick<Deps, "config">, account: string, secret: string, token: TokenParams = DEFAULT_TOKEN): string {
  const issuer = encodeURIComponent(deps.config.issuer);
  return (
    `otpauth://totp/${issuer}:${encodeURIComponent(account)}?secret=${secret}` +
    `&issuer=${issuer}&algorithm=${token.algorithm}&digits=${token.digits}&period=${token.period}`
  );
}
