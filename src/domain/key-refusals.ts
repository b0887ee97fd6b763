import { AUDIT_REASONS, countAudit } from "../db/audit";
import type { Db } from "../db/client";
import type { Deps } from "./deps";

/**
 * Refused API keys in the audit trail: one row per client address and window, with a count. A
 * flood of wrong keys must cost neither a round trip before the answer nor a write each, so the
 * isolate counts refusals in memory and writes them after the answer (waitUntil): one batch per
 * FLUSH_DELAY_MS at most, one upsert per address and window in it.
 */
const KEY_REFUSAL_WINDOW_MS = 10 * 60_000;
/** How long counts gather before they are written: a burst's refusals then share one write. */
const FLUSH_DELAY_MS = 1_000;
/** Addresses counted at once; past this, refusals from further addresses count under one row (bounded memory). */
const MAX_ADDRESSES = 1_000;
const OTHER_ADDRESSES = "other addresses";

/** Counts not yet written, by aggregate key. */
const pending = new Map<string, { at: number; client: string; count: number }>();
let flushing = false;

/**
 * Notes one refused key from the request's address. Requests without an address (only direct
 * calls in tests: Cloudflare always sets CF-Connecting-IP) are not counted, as the flood limit
 * does not count them. Without a way to defer work, nothing is counted either.
 */
export function countRefusedKey(deps: Pick<Deps, "client" | "now" | "db" | "defer">): void {
  const address = deps.client.address;
  if (address === undefined || !deps.defer) return;
  const at = deps.now();
  const window = Math.floor(at / KEY_REFUSAL_WINDOW_MS);
  const client = pending.size < MAX_ADDRESSES || pending.has(`${address} ${window}`) ? address : OTHER_ADDRESSES;
  const key = `${client} ${window}`;
  const entry = pending.get(key);
  if (entry) entry.count += 1;
  else pending.set(key, { at, client, count: 1 });
  if (flushing) return;
  flushing = true;
  deps.defer(flush(deps.db));
}

async function flush(db: Db): Promise<void> {
  try {
    await new Promise((resolve) => setTimeout(resolve, FLUSH_DELAY_MS));
    const entries = [...pending];
    pending.clear();
    // Refusals from now on gather for the next write.
    flushing = false;
    const writes = entries.map(([key, { at, client, count }]) =>
      countAudit(
        db,
        {
          at,
          actor: "-",
          action: "api-key.refused",
          target: `from ${client}`,
          outcome: "refused",
          client: client === OTHER_ADDRESSES ? null : client,
          reason: AUDIT_REASONS.wrongKey,
        },
        `key-refused ${key}`,
        count,
      ),
    );
    const [first, ...rest] = writes;
    if (first) await db.batch([first, ...rest]);
  } catch {
    flushing = false;
  }
}
