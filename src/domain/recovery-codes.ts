import { base64ToBytes, bytesToBase64Url, constantTimeEqual, utf8 } from "../crypto/encoding";
import { auditActionStatement } from "../db/console-users";
import {
  countRecoveryCodes,
  deleteRecoveryCodesStatement,
  insertRecoveryCodesStatement,
  type StoredRecoveryCode,
} from "../db/recovery-codes";
import type { Deps } from "./deps";

/** How many codes a set has. */
const RECOVERY_CODE_COUNT = 10;
/**
 * Crockford's base32: digits and capitals without I, L, O and U, so nothing reads as something
 * else, and what is typed as I, L or O is read as 1, 1, 0. 12 symbols of 5 bits: 60 bits.
 */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const SYMBOLS = 12;
const SALT_BYTES = 16;

/** A fresh code as shown: two groups of six, "7KQ2MX-P9D3RT". 256 is a multiple of 32, so `byte & 31` is uniform. */
function newCode(): string {
  const symbols = [...crypto.getRandomValues(new Uint8Array(SYMBOLS))].map((byte) => ALPHABET[byte & 31]).join("");
  return `${symbols.slice(0, SYMBOLS / 2)}-${symbols.slice(SYMBOLS / 2)}`;
}

/** The code as typed, in the form it is hashed in, or null when it cannot be one (nothing to hash). */
function normaliseRecoveryCode(typed: string): string | null {
  const code = typed
    .toUpperCase()
    .replace(/[\s-]+/g, "")
    .replace(/O/g, "0")
    .replace(/[IL]/g, "1");
  if (code.length !== SYMBOLS || [...code].some((symbol) => !ALPHABET.includes(symbol))) return null;
  return code;
}

async function codeHash(salt: Uint8Array, code: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", salt, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8.encode(code)));
}

/**
 * The id of the stored code `typed` is, or null. Every stored code is checked, in constant time
 * each, so the time does not say which code (or whether any) matched.
 */
export async function matchRecoveryCode(stored: readonly StoredRecoveryCode[], typed: string): Promise<number | null> {
  const code = normaliseRecoveryCode(typed) ?? "";
  let match: number | null = null;
  for (const row of stored) {
    const equal = constantTimeEqual(await codeHash(base64ToBytes(row.salt), code), base64ToBytes(row.hash));
    if (equal && code !== "") match = row.id;
  }
  return match;
}

/** How many of the user's codes still work; null when RECOVERY_CODES is off. */
export async function recoveryCodesLeft(deps: Deps, userId: number): Promise<number | null> {
  return deps.config.recoveryCodes ? countRecoveryCodes(deps.db, userId) : null;
}

/** Who issues a set, for the audit trail: the user in the portal ("portal"), never an admin. */
export interface CodeHolder {
  id: number;
  username: string;
}

export const holderLabel = (user: CodeHolder) => `user ${user.id} ${user.username}`;

/**
 * Issues a new set and returns the codes, to show once. In one batch the old set is deleted (it
 * stops working), the new one stored (a keyed hash per code, each with its own salt) and the
 * issue recorded.
 */
export async function issueRecoveryCodes(deps: Deps, user: CodeHolder): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
  const rows = await Promise.all(
    codes.map(async (code) => {
      const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
      return { salt: bytesToBase64Url(salt), hash: bytesToBase64Url(await codeHash(salt, normaliseRecoveryCode(code)!)) };
    }),
  );
  const entry = { at: deps.now(), actor: "portal", action: "user.recovery-codes", target: holderLabel(user) } as const;
  await deps.db.batch([
    auditActionStatement(deps.db, entry, { id: user.id }),
    deleteRecoveryCodesStatement(deps.db, user.id),
    insertRecoveryCodesStatement(deps.db, user.id, rows, deps.now()),
  ]);
  return codes;
}

/** The console's revocation: the set is deleted, recorded in the same batch. Returns how many codes it had. */
export async function revokeRecoveryCodes(deps: Deps, actor: string, user: CodeHolder): Promise<number> {
  const entry = { at: deps.now(), actor, action: "user.revoke-recovery-codes", target: holderLabel(user) } as const;
  const [, deleted] = await deps.db.batch([
    auditActionStatement(deps.db, entry, { id: user.id }),
    deleteRecoveryCodesStatement(deps.db, user.id),
  ]);
  return deleted.length;
}
