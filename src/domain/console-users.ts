import { bytesToHex, utf8 } from "../crypto/encoding";
import { hashPassword } from "../crypto/passwords";
import { seal } from "../crypto/secret-box";
import type { Statement } from "../db/client";
import {
  auditActionStatement,
  type ConsoleUserRow,
  deleteUserStatement,
  findConsoleUser,
  holds,
  replaceSecretStatement,
  setPasswordStatement,
  type UserGuard,
  unlockStatement,
} from "../db/console-users";
import { actorJson, userEventStatement } from "../db/outbox";
import { deleteRecoveryCodesStatement } from "../db/recovery-codes";
import { forgetClients, unlockClients } from "../db/login-clients";
import { deleteSessionsOf } from "../db/sessions";
import { base32Encode } from "../otp/base32";
import { AUDIT_REASONS } from "../db/audit";
import { type AuditAction, recordAudit } from "./audit";
import type { Deps } from "./deps";
import { actorOf, type EventType, newEvent, written } from "./events";
import { otpauthUri } from "./enrollment-qr";
import { MIN_PASSWORD_CHARS } from "./local-users";

/** RFC 4226 §4 recommends 160 bits, as createuser issues (src/domain/enrollment.ts). */
const SECRET_BYTES = 20;

/**
 * A short digest of the sealed secret: the confirmation of a reset or a delete carries it, and the
 * action happens only while the secret is still that one (a double submit, or a confirmation
 * opened before someone else's reset, does nothing). It says nothing about the secret itself.
 */
export async function secretVersion(ciphertext: string): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8.encode(ciphertext)))).slice(0, 16);
}

export type UserDetails = Omit<ConsoleUserRow, "secret"> & { version: string };

export async function userDetails(deps: Deps, id: number): Promise<UserDetails | null> {
  const row = await findConsoleUser(deps.db, id);
  if (!row) return null;
  const { secret, ...details } = row;
  return { ...details, version: await secretVersion(secret.ciphertext) };
}

/** "done"; "missing": no such user (nothing recorded); "stale": the confirmed secret was replaced since (nothing done). */
export type ActionOutcome = "done" | "missing" | "stale";

/** Who acts on whom, for the audit trail. */
interface Act {
  actor: string;
  action: AuditAction;
  user: ConsoleUserRow;
}

/** The event each action reports to webhooks (docs/events.md). */
const EVENT_OF: Partial<Record<AuditAction, EventType>> = {
  "user.unlock": "user.unlocked",
  "user.reset-secret": "user.secret_reset",
  "user.set-password": "user.password_changed",
  "user.delete": "user.deleted",
};

const target = (user: ConsoleUserRow) => `user ${user.id} ${user.username}`;

/**
 * The audit entry, the action's guarded write and its other statements in one batch (all or
 * nothing). The entry is "ok" exactly when the guard held, so the write happened; "refused" when a
 * simultaneous submit or another admin changed the user between our read and this batch.
 */
export async function commit(deps: Deps, act: Act, guard: UserGuard, write: Statement, alongside: Statement[] = []): Promise<boolean> {
  const entry = { at: deps.now(), actor: act.actor, action: act.action, target: target(act.user), client: deps.client.address ?? null };
  const type = EVENT_OF[act.action];
  const event = type && newEvent(deps, type);
  // The event, like the audit entry, comes before the write and under its guard: written exactly when the write happens.
  const announce = event ? [userEventStatement(deps.db, event, actorJson(actorOf(act.actor)), holds(guard))] : [];
  const results = await deps.db.batch([auditActionStatement(deps.db, entry, guard), ...announce, write, ...alongside]);
  const happened = (results[1 + announce.length] as unknown[]).length > 0;
  if (event) written(deps, event, results[1] as unknown[]);
  return happened;
}

/** A confirmation of a secret that is no longer the user's: recorded as refused, nothing done. */
export async function refuseStale(deps: Deps, act: Act): Promise<"stale"> {
  await recordAudit(deps, {
    actor: act.actor,
    action: act.action,
    target: target(act.user),
    outcome: "refused",
    reason: AUDIT_REASONS.changedMeanwhile,
  });
  return "stale";
}

export async function unlockUser(deps: Deps, actor: string, id: number): Promise<ActionOutcome> {
  const user = await findConsoleUser(deps.db, id);
  if (!user) return "missing";
  const guard = { id };
  // Both of the user's counts, and every client's count on the portal login.
  const clients = unlockClients(deps.db, "portal", id);
  return (await commit(deps, { actor, action: "user.unlock", user }, guard, unlockStatement(deps.db, guard), [clients]))
    ? "done"
    : "missing";
}

/** The api.php rule counts characters, not UTF-16 units or bytes. */
export function passwordLongEnough(password: string): boolean {
  return [...password].length >= MIN_PASSWORD_CHARS;
}

/** Sets the local password (PBKDF2); the user's portal sessions end and the portal lock is lifted. */
export async function setUserPassword(deps: Deps, actor: string, id: number, password: string): Promise<ActionOutcome> {
  if (!passwordLongEnough(password)) throw new RangeError("password too short");
  const user = await findConsoleUser(deps.db, id);
  if (!user) return "missing";
  const passwordHash = await hashPassword(password, deps.config.passwordIterations);
  const act = { actor, action: "user.set-password", user } as const;
  const guard = { id };
  const done = await commit(deps, act, guard, setPasswordStatement(deps.db, guard, passwordHash), [
    deleteSessionsOf(deps.db, "portal", id),
  ]);
  return done ? "done" : "missing";
}

type ResetResult = { outcome: "done"; username: string; secret: string; uri: string } | { outcome: "missing" | "stale" };

/** A new secret, shown once, if the user's secret is still the one confirmed (`version`). */
export async function resetUserSecret(deps: Deps, actor: string, id: number, version: string): Promise<ResetResult> {
  const user = await findConsoleUser(deps.db, id);
  if (!user) return { outcome: "missing" };
  const act = { actor, action: "user.reset-secret", user } as const;
  if ((await secretVersion(user.secret.ciphertext)) !== version) return { outcome: await refuseStale(deps, act) };
  const bytes = crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
  const sealed = await seal(await deps.keyring(), bytes, user.usernameKey);
  const guard = { id, ciphertext: user.secret.ciphertext };
  const write = replaceSecretStatement(deps.db, guard, sealed);
  // The user's recovery codes go too: an operator's reset issues none until the user confirms again.
  const alongside = [deleteSessionsOf(deps.db, "portal", id), deleteRecoveryCodesStatement(deps.db, id, sealed.ciphertext)];
  if (!(await commit(deps, act, guard, write, alongside))) return { outcome: await afterLostRace(deps, id) };
  const secret = base32Encode(bytes);
  return { outcome: "done", username: user.username, secret, uri: otpauthUri(deps, user.username, secret) };
}

/** Deletes the user (their row, with it every secret and counter, and their portal sessions). */
export async function deleteUser(deps: Deps, actor: string, id: number, version: string): Promise<ActionOutcome> {
  const user = await findConsoleUser(deps.db, id);
  if (!user) return "missing";
  const act = { actor, action: "user.delete", user } as const;
  if ((await secretVersion(user.secret.ciphertext)) !== version) return refuseStale(deps, act);
  const guard = { id, ciphertext: user.secret.ciphertext };
  const alongside = [deleteSessionsOf(deps.db, "portal", id), forgetClients(deps.db, "portal", id)];
  return (await commit(deps, act, guard, deleteUserStatement(deps.db, guard), alongside)) ? "done" : afterLostRace(deps, id);
}

export async function afterLostRace(deps: Deps, id: number): Promise<"missing" | "stale"> {
  return (await findConsoleUser(deps.db, id)) ? "stale" : "missing";
}
