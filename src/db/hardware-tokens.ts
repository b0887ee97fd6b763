import { and, eq, exists } from "drizzle-orm";
import type { Sealed } from "../crypto/secret-box";
import type { TokenParams } from "../otp/totp";
import { tokenParamsOf } from "./token-params";
import type { Db } from "./client";
import { holds, idOnly, type UserGuard } from "./console-users";
import { hardwareTokens, users } from "./schema";

export interface WaitingToken {
  serial: string;
  secret: Sealed;
  token: TokenParams;
  drift: number;
}

export async function findWaitingToken(db: Db, serial: string): Promise<WaitingToken | null> {
  const [row] = await db.select().from(hardwareTokens).where(eq(hardwareTokens.serial, serial)).limit(1);
  if (!row) return null;
  return {
    serial: row.serial,
    secret: { ciphertext: row.secretCiphertext, sealKeyId: row.secretKeyId },
    token: tokenParamsOf({ algorithm: row.totpAlgorithm, digits: row.totpDigits, period: row.totpPeriod }),
    drift: row.totpDrift,
  };
}

/** The guard's extra condition: the token still waits, with the seed that was opened. */
export function stillWaiting(db: Db, token: WaitingToken) {
  return exists(
    db
      .select({ serial: hardwareTokens.serial })
      .from(hardwareTokens)
      .where(and(eq(hardwareTokens.serial, token.serial), eq(hardwareTokens.secretCiphertext, token.secret.ciphertext))),
  );
}

/**
 * The user takes the token: its seed (resealed for them), parameters, drift and serial replace
 * theirs, as confirmed (they hold the token: the portal must not offer to enrol, showing its seed).
 */
export function takeTokenStatement(db: Db, guard: UserGuard, token: WaitingToken, sealed: Sealed, nowS: number) {
  return db
    .update(users)
    .set({
      secretCiphertext: sealed.ciphertext,
      secretKeyId: sealed.sealKeyId,
      lastStep: -1,
      confirmedAt: nowS,
      failedAttempts: 0,
      lockedUntil: 0,
      totpAlgorithm: token.token.algorithm,
      totpDigits: token.token.digits,
      totpPeriod: token.token.period,
      totpDrift: token.drift,
      tokenSerial: token.serial,
    })
    .where(holds(guard))
    .returning(idOnly);
}

/** The token leaves the inventory only if the user's row now holds its seed (the update above happened). */
export function removeTakenStatement(db: Db, token: WaitingToken, userId: number, sealed: Sealed) {
  const taken = db
    .select(idOnly)
    .from(users)
    .where(and(eq(users.id, userId), eq(users.secretCiphertext, sealed.ciphertext)));
  return db
    .delete(hardwareTokens)
    .where(and(eq(hardwareTokens.serial, token.serial), eq(hardwareTokens.secretCiphertext, token.secret.ciphertext), exists(taken)));
}
