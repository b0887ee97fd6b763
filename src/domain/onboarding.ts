import { findUsersByKeys } from "../db/user-names";
import { parseCsv } from "../formats/csv";
import { type ActionOutcome, passwordLongEnough, setUserPassword } from "./console-users";
import type { Deps } from "./deps";
import { usernameKeys } from "./identity";

/**
 * An upload sets at most this many passwords: each is a PBKDF2 hash (about 100,000 iterations,
 * tens of ms of CPU), so a larger file would outrun a Worker's CPU time. Bigger lists go in parts.
 */
export const MAX_ONBOARD_ROWS = 100;
/** 100 rows of a 255-character name and a password fit easily. */
export const MAX_ONBOARD_BYTES = 64 * 1024;

/** Letters and digits that cannot be misread for each other (no 0/o, 1/l/i): 31 of them, 20 drawn, about 99 bits. */
const PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";
const PASSWORD_CHARS = 20;

export interface OnboardRow {
  /** The line of the file (1 is the first). */
  line: number;
  name: string;
  user?: { id: number; username: string };
  /** A password given in the file (never shown back); absent: one is generated. */
  password?: string;
  /** Why the row changes nothing. */
  refusal?: string;
}

/** What an upload would change, or why the whole file is refused. Reads only: nothing is written. */
export async function planOnboarding(deps: Deps, csv: string): Promise<{ rows: OnboardRow[] } | { error: string }> {
  const parsed = parseCsv(csv);
  if (parsed === null) return { error: "The file is not CSV: a quoted cell is never closed. Nothing was changed." };
  const header = parsed[0]?.[0]?.trim().toLowerCase() === "username";
  const lines = parsed.slice(header ? 1 : 0);
  if (lines.length === 0) return { error: "The file names no users. Nothing was changed." };
  if (lines.length > MAX_ONBOARD_ROWS) {
    return { error: `The file has ${lines.length} rows; at most ${MAX_ONBOARD_ROWS} at a time. Nothing was changed.` };
  }
  const rows: OnboardRow[] = lines.map((cells, i) => ({
    line: i + 1 + (header ? 1 : 0),
    name: (cells[0] ?? "").trim(),
    password: cells[1] || undefined,
  }));
  const found = await findUsersByKeys(
    deps.db,
    rows.flatMap((row) => (row.name ? usernameKeys(row.name) : [])),
  );
  const byKey = new Map(found.map((user) => [user.usernameKey, user]));
  const seen = new Set<number>();
  for (const row of rows) {
    const user = row.name
      ? usernameKeys(row.name)
          .map((key) => byKey.get(key))
          .find(Boolean)
      : undefined;
    if (!row.name) row.refusal = "no username";
    else if (!user) row.refusal = "no such user";
    else if (seen.has(user.id)) row.refusal = "named on an earlier line";
    else if (row.password !== undefined && !passwordLongEnough(row.password)) row.refusal = "password too short";
    if (user) row.user = { id: user.id, username: user.username };
    if (user && !row.refusal) seen.add(user.id);
  }
  return { rows };
}

function generatePassword(): string {
  let out = "";
  while (out.length < PASSWORD_CHARS) {
    for (const byte of crypto.getRandomValues(new Uint8Array(32))) {
      // 248 = 8 × 31: bytes above it are dropped, so every character is equally likely.
      if (byte < 248 && out.length < PASSWORD_CHARS) out += PASSWORD_ALPHABET[byte % 31];
    }
  }
  return out;
}

export interface OnboardResult {
  id: number;
  username: string;
  outcome: ActionOutcome;
  /** The generated password, to be shown once and never stored in plain. */
  generated?: string;
}

/**
 * Sets each accepted row's password through the user page's own action (hashed, audited and
 * announced in the user's own batch; portal sessions end and the portal lock is lifted).
 */
export async function applyOnboarding(deps: Deps, actor: string, rows: readonly OnboardRow[]): Promise<OnboardResult[]> {
  const results: OnboardResult[] = [];
  for (const row of rows) {
    if (row.refusal || !row.user) continue;
    const generated = row.password === undefined ? generatePassword() : undefined;
    const outcome = await setUserPassword(deps, actor, row.user.id, row.password ?? generated!);
    results.push({ id: row.user.id, username: row.user.username, outcome, generated: outcome === "done" ? generated : undefined });
  }
  return results;
}
