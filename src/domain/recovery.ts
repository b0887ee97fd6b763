import { and } from "drizzle-orm";
import { seal } from "../crypto/secret-box";
import { auditActionStatement, holds, replaceSecretStatement } from "../db/console-users";
import { actorJson, userEventStatement } from "../db/outbox";
import {
  clearPortalLockStatement,
  codeUnspent,
  deletePortalSessionsStatement,
  deleteRecoveryCodesStatement,
  findRecoveryCandidate,
  portalLoginHolds,
} from "../db/recovery-codes";
import { AUDIT_REASONS } from "../db/audit";
import { recordAudit } from "./audit";
import type { Deps } from "./deps";
import { newEvent, written } from "./events";
import { checkPortalPassword, countRefusedPortalLogin } from "./portal";
import { holderLabel, matchRecoveryCode } from "./recovery-codes";
import { startSession } from "./sessions";

/** User ids start at 1: a statement for this id matches no row. */
const NO_USER = 0;
/** RFC 4226 §4 recommends 160 bits, as createuser and a console reset issue. */
const SECRET_BYTES = 20;

interface RecoveryForm {
  username: string;
  password: string;
  code: string;
}

/** A portal session for the re-enrolled user, or a refusal the route answers like a refused login. */
type RecoveryOutcome = { ok: true; sessionId: string } | { ok: false };

/**
 * "Lost your phone?": the local password and one recovery code re-enrol the user. In one batch the
 * code's set is spent (deleted), the secret is replaced (the old one's codes are refused from then
 * on, as after a console reset), the user is unconfirmed so the portal shows the new secret, and
 * the audit entry is written; the userid stays. Every refusal does the work of a wrong code of a
 * known user (PBKDF2, the read of the codes, the HMACs, the failure count and its audit entry),
 * and a wrong password or code counts on the portal login's own lock through the login's own
 * count, so a code guesser is bounded exactly like a password guesser.
 */
export async function recoverWithCode(deps: Deps, form: RecoveryForm): Promise<RecoveryOutcome> {
  const now = deps.now();
  const { found, stored, passwordOk } = await checkPortalPassword(deps, form, now);
  const counted = found !== null && stored !== null;
  const candidate = await findRecoveryCandidate(deps.db, found?.id ?? NO_USER);
  const codeId = await matchRecoveryCode(candidate?.codes ?? [], form.code);
  if (!counted || !passwordOk || candidate === null || codeId === null) {
    await countRefusedPortalLogin(deps, found, stored, now);
    const target = found && candidate ? holderLabel({ id: found.id, username: candidate.username }) : undefined;
    await recordAudit(deps, { actor: "portal", action: "user.recover", target, outcome: "refused", reason: AUDIT_REASONS.recoveryRefused });
    return { ok: false };
  }
  const user = { id: found.id, username: candidate.username };
  const sealed = await seal(await deps.keyring(), crypto.getRandomValues(new Uint8Array(SECRET_BYTES)), candidate.usernameKey);
  // Everything the recovery rests on, checked once more inside the batch: the same secret, password
  // and unlocked login as just read, and the code not spent by a concurrent request.
  const spend = {
    id: user.id,
    ciphertext: candidate.ciphertext,
    condition: and(portalLoginHolds(stored, now), codeUnspent(user.id, codeId)),
  };
  const entry = { at: now, actor: "portal", action: "user.recover", target: holderLabel(user) } as const;
  const event = newEvent(deps, "user.recovered");
  const [, eventRows, replaced] = await deps.db.batch([
    auditActionStatement(deps.db, entry, spend),
    userEventStatement(deps.db, event, actorJson({ type: "portal" }), holds(spend)),
    replaceSecretStatement(deps.db, spend, sealed),
    // These hold only if the replacement happened: the secret is now the new ciphertext.
    deleteRecoveryCodesStatement(deps.db, user.id, sealed.ciphertext),
    clearPortalLockStatement(deps.db, user.id, sealed.ciphertext),
    deletePortalSessionsStatement(deps.db, user.id, sealed.ciphertext),
  ]);
  if (replaced.length === 0) return { ok: false };
  written(deps, event, eventRows);
  return { ok: true, sessionId: await startSession(deps, "portal", user.id) };
}
