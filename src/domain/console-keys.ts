import { generateApiKey, hashApiKey } from "../crypto/api-keys";
import {
  activeKeyWithId,
  auditKeyStatement,
  insertKey,
  type KeyListing,
  keyWithHash,
  keyWithId,
  listKeys,
  revokeKeyStatement,
  selectKey,
} from "../db/console-keys";
import { actorJson, keyEventStatement } from "../db/outbox";
import type { AuditAction } from "./audit";
import type { Deps } from "./deps";
import { actorOf, newEvent, written } from "./events";

export type { KeyListing };

/** The same limit as `npm run apikey -- create --label` (scripts/apikey.ts). */
export const KEY_LABEL_MAX = 100;

export const KEY_LABEL_ERRORS = {
  empty: "Enter a label: what will use this key, e.g. “wordpress”.",
  tooLong: `A label can be at most ${KEY_LABEL_MAX} characters long.`,
  control: "A label cannot contain line breaks, tabs, control characters or text-direction marks.",
} as const;

// Control characters, line and paragraph separators, and the bidirectional overrides and
// isolates: a label is shown on one line of the console and in the audit trail, where these
// could break the layout or make one key's entry read like another's.
const FORBIDDEN_IN_LABEL = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

export type LabelCheck = { ok: true; label: string } | { ok: false; error: string };

/** A label as typed (surrounding spaces dropped), or why it is refused. */
export function checkKeyLabel(input: string): LabelCheck {
  const label = input.trim();
  if (label === "") return { ok: false, error: KEY_LABEL_ERRORS.empty };
  // String length, as the CLI and the form's maxlength count it.
  if (label.length > KEY_LABEL_MAX) return { ok: false, error: KEY_LABEL_ERRORS.tooLong };
  if (FORBIDDEN_IN_LABEL.test(label)) return { ok: false, error: KEY_LABEL_ERRORS.control };
  return { ok: true, label };
}

export function keyListing(deps: Deps): Promise<KeyListing[]> {
  return listKeys(deps.db);
}

export async function findKey(deps: Deps, id: number): Promise<KeyListing | null> {
  const [row] = await selectKey(deps.db, keyWithId(id));
  return row ?? null;
}

const auditEntry = (deps: Deps, actor: string, action: AuditAction) => ({
  at: deps.now(),
  actor,
  action,
  outcome: "ok" as const,
  client: deps.client.address ?? null,
});
const unixSeconds = (deps: Deps) => Math.floor(deps.now() / 1000);

/**
 * Makes a key and records who did, in one batch. The key is returned to be shown once: only its
 * SHA-256 is stored, and the audit entry names the key by id and label.
 */
export async function createKey(deps: Deps, actor: string, label: string): Promise<{ key: string; listing: KeyListing }> {
  const key = generateApiKey();
  const keyHash = await hashApiKey(key);
  const { db } = deps;
  const event = newEvent(deps, "api_key.created");
  const [, , [listing], eventRows] = await db.batch([
    insertKey(db, { label, keyHash, createdAt: unixSeconds(deps) }),
    auditKeyStatement(db, auditEntry(deps, actor, "key.create"), keyWithHash(keyHash)),
    selectKey(db, keyWithHash(keyHash)),
    keyEventStatement(db, event, actorJson(actorOf(actor)), keyWithHash(keyHash)),
  ]);
  written(deps, event, eventRows);
  return { key, listing: listing! };
}

export type RevokeResult =
  | { outcome: "revoked"; key: KeyListing }
  | { outcome: "already-revoked"; key: KeyListing }
  | { outcome: "not-found" };

/**
 * Revokes a key from now on: the API's key check asks D1 every time, so the next request with it
 * is refused. Idempotent: a key already revoked keeps its date, and gets no second audit entry.
 */
export async function revokeKey(deps: Deps, actor: string, id: number): Promise<RevokeResult> {
  const { db } = deps;
  const event = newEvent(deps, "api_key.revoked");
  const [, eventRows, revoked, [key]] = await db.batch([
    auditKeyStatement(db, auditEntry(deps, actor, "key.revoke"), activeKeyWithId(id)),
    keyEventStatement(db, event, actorJson(actorOf(actor)), activeKeyWithId(id)),
    revokeKeyStatement(db, id, unixSeconds(deps)),
    selectKey(db, keyWithId(id)),
  ]);
  if (!key) return { outcome: "not-found" };
  written(deps, event, eventRows);
  return { outcome: revoked.length > 0 ? "revoked" : "already-revoked", key };
}
