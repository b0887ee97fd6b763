import { bytesToBase64Url } from "../crypto/encoding";
import type { Statement } from "../db/client";
import { onceEventStatement } from "../db/outbox";
import type { Deps } from "./deps";
import { type NewEvent, written } from "./events";

/** admin.login_refused is one event per client address and window: a flood of refusals is one delivery, not one each. */
const WINDOW_MS = 3_600_000;

/**
 * The event's id is derived from the address and the window, so every refusal of the window writes
 * the same row and only the first one writes it (ON CONFLICT DO NOTHING). 144 bits of SHA-256, the
 * shape of newEventId's ids.
 */
async function windowEventId(client: string, window: number): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`admin.login_refused ${client} ${window}`));
  return `msg_${bytesToBase64Url(new Uint8Array(digest).slice(0, 18))}`;
}

/**
 * Commits a refused console login's statements (its audit entry, its counts) in one batch with the
 * window's admin.login_refused event: no round trip more than the refusal had. The event leaves
 * for the queue only when this refusal wrote it.
 */
export async function commitRefusedLogin(deps: Deps, client: string, statements: Statement[]): Promise<void> {
  const at = deps.now();
  const window = Math.floor(at / WINDOW_MS);
  const head: NewEvent = { id: await windowEventId(client, window), type: "admin.login_refused", at };
  const data = {
    address: client === "" ? null : client,
    window_start: new Date(window * WINDOW_MS).toISOString(),
    window_end: new Date((window + 1) * WINDOW_MS).toISOString(),
    actor: { type: "anonymous" },
    outcome: "refused",
  };
  const [wrote] = await deps.db.batch([onceEventStatement(deps.db, head, data), ...statements]);
  written(deps, head, wrote);
}
