import { findUserEnrolment } from "../db/portal";
import { constantTimeEqual, utf8 } from "../crypto/encoding";
import { base32Encode } from "../otp/base32";
import type { Deps } from "./deps";
import { openUserSecret } from "./user-keys";

/**
 * The otpauth URI (Google Authenticator Key Uri Format) for a user, or null unless the user exists
 * and `secret` is their secret: the hashqr URL is a capability, not a lookup by id. With
 * HIDE_QR_AFTER_CONFIRMATION on, also null once the user is confirmed (the same 404 as a wrong secret).
 */
export async function enrollmentUri(deps: Deps, userId: number, secret: string): Promise<string | null> {
  const user = await findUserEnrolment(deps.db, userId);
  if (!user) return null;
  if (deps.config.hideQrAfterConfirmation && user.confirmedAt !== null) return null;
  let actual: string;
  try {
    actual = base32Encode(await openUserSecret(deps, user));
  } catch {
    return null;
  }
  if (!constantTimeEqual(utf8.encode(actual), utf8.encode(secret))) return null;
  return otpauthUri(deps, user.username, actual);
}

/** The otpauth URI of `secret` (base32) for `account`, under the configured issuer and TOTP parameters. */
export function otpauthUri(deps: Pick<Deps, "config">, account: string, secret: string): string {
  const issuer = encodeURIComponent(deps.config.issuer);
  const { digits, period } = deps.config.totp;
  return (
    `otpauth://totp/${issuer}:${encodeURIComponent(account)}?secret=${secret}` +
    `&issuer=${issuer}&algorithm=SHA1&digits=${digits}&period=${period}`
  );
}
