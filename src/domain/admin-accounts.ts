import { bytesToBase64Url } from "../crypto/encoding";
import {
  type AdminAccount,
  type AdminChange,
  disableStatements,
  findAdminAccount,
  inviteStatements,
  listAdminAccounts,
  resetStatements,
} from "../db/admin-accounts";
import { ENROLMENT_LINK_MS, parseAdminName } from "./admins";
import type { Deps } from "./deps";
import { tokenHash } from "./sessions";

/**
 * The console's management of admins, with the admin CLI's rules (scripts/admin.ts): an invite or
 * a reset gives a one-time enrolment link (only its hash is stored; the link is shown once), a
 * reset clears the password and the second factor and ends the admin's sessions, and disabling
 * refuses the actor themselves and the last admin who can log in.
 */
export type { AdminAccount };

/** A link's token: 256 random bits, base64url, as the CLI makes them. */
function newLinkToken(): string {
  return bytesToBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

export interface EnrolmentLink {
  name: string;
  token: string;
  /** Unix ms. */
  expiresAt: number;
}

const changeBy = (deps: Deps, actor: string): AdminChange => ({ at: deps.now(), actor, client: deps.client.address ?? null });

export function adminAccounts(deps: Deps): Promise<AdminAccount[]> {
  return listAdminAccounts(deps.db);
}

export function adminAccount(deps: Deps, id: number): Promise<AdminAccount | null> {
  return findAdminAccount(deps.db, id);
}

export type InviteOutcome = { ok: true; link: EnrolmentLink } | { ok: false; refusal: "name" | "exists" };

/** Creates an admin waiting for enrolment, in one batch with its audit entry. */
export async function inviteAdmin(deps: Deps, actor: string, rawName: string): Promise<InviteOutcome> {
  const name = parseAdminName(rawName);
  if (name === null) return { ok: false, refusal: "name" };
  const token = newLinkToken();
  const expiresAt = deps.now() + ENROLMENT_LINK_MS;
  const [created] = await deps.db.batch(inviteStatements(deps.db, changeBy(deps, actor), name, await tokenHash(token), expiresAt));
  return created.length === 0 ? { ok: false, refusal: "exists" } : { ok: true, link: { name, token, expiresAt } };
}

/** A new enrolment link for the admin (null: no such admin); their password, second factor and sessions are gone. */
export async function resetAdmin(deps: Deps, actor: string, id: number): Promise<EnrolmentLink | null> {
  const account = await findAdminAccount(deps.db, id);
  if (!account) return null;
  const token = newLinkToken();
  const expiresAt = deps.now() + ENROLMENT_LINK_MS;
  const [reset] = await deps.db.batch(resetStatements(deps.db, changeBy(deps, actor), id, await tokenHash(token), expiresAt));
  return reset.length === 0 ? null : { name: account.name, token, expiresAt };
}

export type DisableOutcome = "disabled" | "missing" | "self" | "last" | "already";

/** Disables the admin, unless the rules refuse (decided inside the batch, see disableStatements). */
export async function disableAdmin(deps: Deps, actor: { id: number; name: string }, id: number): Promise<DisableOutcome> {
  const account = await findAdminAccount(deps.db, id);
  if (!account) return "missing";
  const [, disabled] = await deps.db.batch(disableStatements(deps.db, { ...changeBy(deps, actor.name), actorId: actor.id }, id));
  if (disabled.length > 0) return "disabled";
  // Refused inside the batch; say why from what was there (the audit entry recorded the same).
  if (id === actor.id) return "self";
  const now = await findAdminAccount(deps.db, id);
  return now?.disabledAt != null ? "already" : "last";
}
