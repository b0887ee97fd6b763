import { and, asc, count, desc, eq, gt, isNotNull, isNull, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "./client";
import { users } from "./schema";

/** What the list can be narrowed to; every filter given must hold. */
export interface UserFilters {
  unconfirmed?: boolean;
  codesLocked?: boolean;
  portalLocked?: boolean;
  imported?: boolean;
  /** "app": an authenticator app's secret; "hardware": a hardware token's seed (token_serial set). */
  token?: "app" | "hardware";
}

export type UserOrder = "name" | "created" | "last-success";

/** Where a page starts: after this row of the order (the previous page's last). */
export type ListCursor = { order: "name"; key: string } | { order: "created" | "last-success"; value: number; id: number };

export interface UserListQuery {
  /** Part of the username, email or phone, as typed (NFC), and in lower case. */
  text?: { typed: string; lower: string };
  /** An exact userid (a search of digits only also names one). */
  userid?: number;
  filters: UserFilters;
  order: UserOrder;
  nowMs: number;
  after?: ListCursor;
  limit: number;
}

const listFields = {
  id: users.id,
  username: users.username,
  usernameKey: users.usernameKey,
  createdAt: users.createdAt,
  confirmedAt: users.confirmedAt,
  lastSuccessAt: users.lastSuccessAt,
  lockedUntil: users.lockedUntil,
  portalLockedUntil: users.portalLockedUntil,
  tokenSerial: users.tokenSerial,
};

export type UserListRow = { [K in keyof typeof listFields]: (typeof users.$inferSelect)[K] };

/** Never-succeeded users sort last when the newest success comes first. */
const lastSuccess = sql<number>`coalesce(${users.lastSuccessAt}, -1)`;

/**
 * A part of a name: instr() rather than LIKE, so % and _ are themselves. SQLite's lower() folds
 * ASCII only, so the text is also looked for as typed ("Åsa" finds "Åsa").
 */
function contains(column: SQL | typeof users.username, text: { typed: string; lower: string }): SQL {
  return sql`(instr(lower(${column}), ${text.lower}) > 0 or instr(${column}, ${text.typed}) > 0)`;
}

/** The search and the filters: what the filtered count counts. */
function userMatch(query: Pick<UserListQuery, "text" | "userid" | "filters" | "nowMs">): SQL | undefined {
  const { text, filters, nowMs } = query;
  const search =
    text || query.userid !== undefined
      ? or(
          text && contains(users.username, text),
          text && contains(sql`coalesce(${users.email}, '')`, text),
          text && contains(sql`coalesce(${users.phone}, '')`, text),
          query.userid === undefined ? undefined : eq(users.id, query.userid),
        )
      : undefined;
  return and(
    search,
    filters.unconfirmed ? isNull(users.confirmedAt) : undefined,
    filters.codesLocked ? gt(users.lockedUntil, nowMs) : undefined,
    filters.portalLocked ? gt(users.portalLockedUntil, nowMs) : undefined,
    filters.imported ? isNotNull(users.importedAt) : undefined,
    filters.token === "app" ? isNull(users.tokenSerial) : filters.token === "hardware" ? isNotNull(users.tokenSerial) : undefined,
  );
}

/** The keyset condition of the order: never OFFSET, a page starts after the previous page's last row. */
function afterCursor(after: ListCursor | undefined): SQL | undefined {
  if (!after) return undefined;
  if (after.order === "name") return gt(users.usernameKey, after.key);
  const value = after.order === "created" ? sql`${users.createdAt}` : lastSuccess;
  return sql`(${value}, ${users.id}) < (${after.value}, ${after.id})`;
}

const ORDER_BY = {
  name: [asc(users.usernameKey)],
  created: [desc(users.createdAt), desc(users.id)],
  "last-success": [desc(lastSuccess), desc(users.id)],
} as const;

/**
 * One page (at most `limit` rows: the caller asks one more than a page to know whether there is
 * a next one), the filtered count and the total, in one round trip. Ordered by name without a
 * search, SQLite walks the username_key index and stops at the limit; a search or a filter reads
 * the table once (measured at 100,000 users in test/user-search-scale.test.ts).
 */
export async function listUsers(db: Db, query: UserListQuery) {
  const match = userMatch(query);
  const [rows, [matched], [total]] = await db.batch([
    db
      .select(listFields)
      .from(users)
      .where(and(match, afterCursor(query.after)))
      .orderBy(...ORDER_BY[query.order])
      .limit(query.limit),
    db.select({ n: count() }).from(users).where(match),
    db.select({ n: count() }).from(users),
  ]);
  return { rows: rows as UserListRow[], matched: matched!.n, total: total!.n };
}

/** The cursor after `row` in `order`. */
export function cursorAfter(order: UserOrder, row: UserListRow): ListCursor {
  if (order === "name") return { order, key: row.usernameKey };
  return { order, value: order === "created" ? row.createdAt : (row.lastSuccessAt ?? -1), id: row.id };
}
