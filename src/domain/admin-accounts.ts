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
import { type NewEvent, newEvent, written } from "./events";
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

const changeBy = (deps: Deps, actor: string): AdminChange & { event: NewEvent } => ({
  at: deps.now(),
  actor,
  client: deps.client.address ?? null,
  event: newEvent(deps, "admin.changed"),
});

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
  const change = changeBy(deps, actor);
  const [created, , eventRows] = await deps.db.batch(inviteStatements(deps.db, change, name, await tokenHash(token), expiresAt));
  if (created.length === 0) return { ok: false, refusal: "exists" };
  written(deps, change.event, eventRows);
  return { ok: true, link: { name, token, expiresAt } };
}

/** A new enrolment link for the admin (null: no such admin); their password, second factor and sessions are gone. */
export async function resetAdmin(deps: Deps, actor: string, id: number): Promise<EnrolmentLink | null> {
  const account = await findAdminAccount(deps.db, id);
  if (!account) return null;
  const token = newLinkToken();
  const expiresAt = deps.now() + ENROLMENT_LINK_MS;
  const change = changeBy(deps, actor);
  const [reset, , eventRows] = await deps.db.batch(resetStatements(deps.db, change, id, await tokenHash(token), expiresAt));
  if (reset.length === 0) return null;
  written(deps, change.event, eventRows);
  return { name: account.name, token, expiresAt };
}

export type DisableOutcome = "disabled" | "missing" | "self" | "last" | "already";

/** Disables the admin, unless the rules refuse (decided inside the batch, see disableStatements). */
export async function disableAdmin(deps: Deps, actor: { id: number; name: string }, id: number): Promise<DisableOutcome> {
  const account = await findAdminAccount(deps.db, id);
  if (!account) return "missing";
  const change = { ...changeBy(deps, actor.name), actorId: actor.id };
  const [, eventRows, disabled] = await deps.db.batch(disableStatements(deps.db, change, id));
  if (disabled.length > 0) {
    written(deps, change.event, eventRows);
    return "disabled";
  }
  // Refused inside the batch; say why from what was there (the audit entry recorded the same).
  if (id === actor.id) return "self";
  const now = await findAdminAccount(deps.db, id);
  return now?.disabledAt != null ? "already" : "last";
}
