import type { Config } from "../config";
import { insertAudit } from "../db/audit";
import type { Db, Statement } from "../db/client";
import { auditActionStatement, type ConsoleUserRow, findConsoleUser, holds } from "../db/console-users";
import { actorJson, userEventStatement } from "../db/outbox";
import { resyncFailureStatement, resyncStatement } from "../db/resync";
import { checkCodePair, type CodeCheck, codeAsTyped, isCode } from "./code-check";
import type { Deps } from "./deps";
import { actorOf, type NewEvent, newEvent, newEventId, written } from "./events";
import { openUserSecret } from "./user-keys";

/**
 * An operator's resync (RFC 6238 §6): the user reads two consecutive codes off their token, and
 * the step of the later one is searched for within ±RESYNC_WINDOW_STEPS of the server's step. If
 * found, it is accepted as validate accepts a code (so both codes are spent, the failure count and
 * lock are cleared) and its offset becomes the user's drift, the centre of validate's window from
 * then on. Wrong codes count as one failed attempt; a locked user's codes are not checked. The
 * console (src/routes/admin/users.tsx) and `npm run resync` (scripts/resync.ts) both decide here.
 */
export type ResyncDecision = CodeCheck | { kind: "malformed"; digits: number };

type ResyncUser = Pick<ConsoleUserRow, "token" | "lastStep" | "lockedUntil">;
type ResyncConfig = Pick<Config, "totp" | "resyncWindow">;

/** What to do with two typed codes; the secret is opened only when they look like this user's codes and the user is not locked. */
export async function decideResync(
  user: ResyncUser,
  openSecret: () => Promise<Uint8Array>,
  typed: readonly [string, string],
  nowMs: number,
  config: ResyncConfig,
): Promise<ResyncDecision> {
  const codes = [codeAsTyped(typed[0]), codeAsTyped(typed[1])] as const;
  if (!codes.every((code) => isCode(code, user.token.digits))) return { kind: "malformed", digits: user.token.digits };
  return checkCodePair({ user, key: openSecret, nowMs, totp: config.totp }, codes, config.resyncWindow);
}

/** Who resyncs whom, for the audit trail. */
interface ResyncAct {
  actor: string;
  user: Pick<ConsoleUserRow, "id" | "username" | "secret">;
  nowMs: number;
  /** The user.resynced event's id and time; the CLI lets one be made here. */
  event?: NewEvent;
}

/**
 * The audit entry and the write of a decision, for one batch (all or nothing); the entry is
 * first, and says whether the write happened. The write, if any, is the last statement: it
 * returns the user's id when it happened. Malformed codes record nothing.
 */
export function resyncBatch(db: Db, decision: ResyncDecision, act: ResyncAct, policy: Config["lockout"]): Statement[] {
  const { id, username, secret } = act.user;
  const entry = { at: act.nowMs, actor: act.actor, action: "user.resync", target: `user ${id} ${username}` };
  switch (decision.kind) {
    case "accept": {
      const { guard, write } = resyncStatement(db, id, secret.ciphertext, decision.acceptance, act.nowMs);
      const event = act.event ?? { id: newEventId(), type: "user.resynced", at: act.nowMs };
      const announce = userEventStatement(db, event, actorJson(actorOf(act.actor)), holds(guard));
      return [auditActionStatement(db, entry, guard), announce, write];
    }
    case "wrong": {
      const { guard, write } = resyncFailureStatement(db, id, secret.ciphertext, act.nowMs, policy);
      return [auditActionStatement(db, entry, guard, "failed"), write];
    }
    case "used":
    case "locked":
      return [insertAudit(db, { ...entry, outcome: "refused" })];
    case "malformed":
      return [];
  }
}

export type ResyncOutcome =
  | { kind: "done"; drift: number }
  | Exclude<ResyncDecision, { kind: "accept" }>
  /** No such user; or the secret was reset, or the user locked or resynced, between the check and the write. */
  | { kind: "missing" }
  | { kind: "changed" };

/** The console's resync of user `id` by `actor`. */
export async function resyncUser(deps: Deps, actor: string, id: number, typed: readonly [string, string]): Promise<ResyncOutcome> {
  const nowMs = deps.now();
  const user = await findConsoleUser(deps.db, id);
  if (!user) return { kind: "missing" };
  const decision = await decideResync(user, () => openUserSecret(deps, user), typed, nowMs, deps.config);
  const event = newEvent(deps, "user.resynced");
  const batch = resyncBatch(deps.db, decision, { actor, user, nowMs, event }, deps.config.lockout);
  if (batch.length === 0) return decision as ResyncOutcome;
  const results = await deps.db.batch(batch as [Statement, ...Statement[]]);
  const wrote = decision.kind === "accept" || decision.kind === "wrong";
  if (wrote && (results.at(-1) as unknown[]).length === 0)
    return (await findConsoleUser(deps.db, id)) ? { kind: "changed" } : { kind: "missing" };
  if (decision.kind !== "accept") return decision as ResyncOutcome;
  // The accepted batch is [audit, event, write].
  written(deps, event, results[1] as unknown[]);
  return { kind: "done", drift: decision.acceptance.drift };
}
