// What npm run import checks against the database before it writes anything: a row names the
// user it is (its userid and username both), is that user again (skipped), or is refused.
import { sqlString } from "./d1";
import type { ImportRow } from "./import-rows";
import { RowError } from "./import-parse";
import { inBatches, type Runner } from "./import-sql";

interface Existing {
  id: number;
  username_key: string;
  token_serial: string | null;
}

export interface CheckedAgainstDb {
  /** Username keys of the rows whose user exists: they are skipped. */
  existing: Set<string>;
  errors: RowError[];
}

/**
 * Looks up every row's username, userid and serial (bounded SELECTs) and decides each row: a
 * userid that belongs to another user, a username or serial under another userid, or a row
 * without a secret whose user does not exist, is an error with the row's line.
 */
export async function checkAgainstDb(rows: Iterable<ImportRow>, run: Runner): Promise<CheckedAgainstDb> {
  const byKey = new Map<string, Existing>();
  const byId = new Map<number, Existing>();
  const bySerial = new Map<string, Existing>();
  const remember = (found: Existing) => {
    byKey.set(found.username_key, found);
    byId.set(found.id, found);
    if (found.token_serial !== null) bySerial.set(found.token_serial, found);
  };
  const checked: Array<Pick<ImportRow, "line" | "usernameKey" | "userId" | "serial"> & { secret: boolean }> = [];
  const lookups = function* () {
    for (const row of rows) {
      checked.push({ line: row.line, usernameKey: row.usernameKey, userId: row.userId, serial: row.serial, secret: row.secret !== null });
      yield ["username_key", sqlString(row.usernameKey)] as const;
      if (row.userId !== null) yield ["id", String(row.userId)] as const;
      if (row.serial !== null) yield ["token_serial", sqlString(row.serial)] as const;
    }
  };
  await inBatches(lookups(), run, {
    render: ([column, value]) => `${column}\t${value}`,
    statement: (list) => `SELECT id, username_key, token_serial FROM users WHERE ${anyOf(list)}`,
    done: (found) => (found as unknown as Existing[]).forEach(remember),
  });
  const existing = new Set<string>();
  const errors: RowError[] = [];
  for (const row of checked) {
    const same = byKey.get(row.usernameKey);
    const holder = row.userId === null ? undefined : byId.get(row.userId);
    const serialHolder = row.serial === null ? undefined : bySerial.get(row.serial);
    if (holder && holder.username_key !== row.usernameKey) errors.push(new RowError(row.line, "the userid belongs to another user"));
    else if (same && row.userId !== null && same.id !== row.userId)
      errors.push(new RowError(row.line, `the username exists under another userid (${same.id})`));
    else if (serialHolder && serialHolder.username_key !== row.usernameKey)
      errors.push(new RowError(row.line, "the serial belongs to another user's token"));
    else if (same) existing.add(row.usernameKey);
    else if (!row.secret) errors.push(new RowError(row.line, "no secret (secret or secret_hex), and no such user exists to skip"));
  }
  return { existing, errors };
}

/** `column IN (…) OR …` from "column\tvalue" items: each IN list uses its column's index. */
function anyOf(items: string[]): string {
  const lists = new Map<string, string[]>();
  for (const item of items) {
    const tab = item.indexOf("\t");
    const column = item.slice(0, tab);
    const values = lists.get(column) ?? [];
    values.push(item.slice(tab + 1));
    lists.set(column, values);
  }
  return [...lists].map(([column, values]) => `${column} IN (${values.join(", ")})`).join(" OR ");
}
