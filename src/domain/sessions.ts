import type { Statement } from "../db/client";
import { bytesToBase64Url, bytesToHex, utf8 } from "../crypto/encoding";
import {
  deleteExpiredSessions,
  deleteSession,
  findLiveSession,
  insertSession,
  type Realm,
  type SessionRow,
  type SessionTimes,
} from "../db/sessions";
import type { Deps } from "./deps";

export type { Realm };
export type Session = SessionRow;

/** OWASP's session guidance for an administrative interface: 30 min idle, 12 h at most. */
export const SESSION_TIMES: SessionTimes = { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000, seenResolutionMs: 60_000 };

/** 256 random bits, base64url: the cookie value. Only its SHA-256 is stored. */
function randomToken(): string {
  return bytesToBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/** The digest a one-time token (session id, enrolment link) is stored and looked up by. */
export async function tokenHash(token: string): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8.encode(token))));
}

/**
 * Starts a session for a subject who just proved who they are; returns the id for the cookie.
 * `alongside` are statements to commit in the same batch (the audit entry of the login).
 */
export async function startSession(deps: Deps, realm: Realm, subjectId: number, alongside: Statement[] = []): Promise<string> {
  const id = randomToken();
  const now = deps.now();
  await deps.db.batch([
    insertSession(deps.db, { idHash: await tokenHash(id), realm, subjectId, csrfToken: randomToken() }, now),
    deleteExpiredSessions(deps.db, now, SESSION_TIMES),
    ...alongside,
  ]);
  return id;
}

/** The live session of this cookie value, or null (unknown, expired, or its subject is gone). */
export async function resumeSession(deps: Deps, realm: Realm, id: string | undefined): Promise<Session | null> {
  if (!id || id.length > 64) return null;
  return findLiveSession(deps.db, realm, await tokenHash(id), deps.now(), SESSION_TIMES);
}

export async function endSession(deps: Deps, session: Session): Promise<void> {
  await deleteSession(deps.db, session.idHash);
}
