import { cursorAfter, type ListCursor, listUsers, type UserFilters, type UserListRow, type UserOrder } from "../db/user-list";
import type { Deps } from "./deps";

export type { UserFilters, UserListRow, UserOrder };
export const USER_ORDERS: readonly UserOrder[] = ["name", "created", "last-success"];
const USERS_PAGE_SIZE = 50;
/** Usernames are at most 255 characters (src/domain/identity.ts): a longer search finds nobody. */
const MAX_SEARCH_CHARS = 255;
/** A name cursor is a username key; anything longer is not one of ours. */
const MAX_CURSOR_CHARS = 1024;

/** The search as typed, NFC, or null when it cannot be part of a name (too long, control characters). */
export function searchText(raw: string): string | null {
  const text = raw.trim().normalize("NFC");
  if ([...text].length > MAX_SEARCH_CHARS || /[\p{Cc}\p{Cs}]/u.test(text)) return null;
  return text;
}

export interface UserSearch {
  /** From searchText; "" lists everyone. Digits only also find the user with that userid. */
  text: string;
  filters: UserFilters;
  order: UserOrder;
  /** The `next` of the previous page. */
  after?: string;
}

export interface UserPage {
  rows: UserListRow[];
  /** Users matching the search and filters, and users in all. */
  matched: number;
  total: number;
  /** Where the next page starts; absent on the last page. */
  next?: string;
}

function parseCursor(order: UserOrder, text: string): ListCursor | null {
  if (text.length > MAX_CURSOR_CHARS) return null;
  if (order === "name") return { order, key: text };
  const match = /^(-1|[0-9]{1,16})\.([1-9][0-9]{0,15})$/.exec(text);
  return match ? { order, value: Number(match[1]), id: Number(match[2]) } : null;
}

function cursorText(cursor: ListCursor): string {
  return cursor.order === "name" ? cursor.key : `${cursor.value}.${cursor.id}`;
}

/**
 * One page of users, the filtered count and the total (one round trip); null when `after` is not
 * a cursor of this order. The search finds any part of the username, email or phone, in any case
 * of ASCII letters, and an exact userid.
 */
export async function searchUsers(deps: Deps, search: UserSearch): Promise<UserPage | null> {
  const after = search.after === undefined ? undefined : parseCursor(search.order, search.after);
  if (after === null) return null;
  const text = search.text === "" ? undefined : { typed: search.text, lower: search.text.toLowerCase() };
  const userid = /^[0-9]{1,15}$/.test(search.text) ? Number(search.text) : undefined;
  const { rows, matched, total } = await listUsers(deps.db, {
    text,
    userid,
    filters: search.filters,
    order: search.order,
    nowMs: deps.now(),
    after,
    limit: USERS_PAGE_SIZE + 1,
  });
  if (rows.length <= USERS_PAGE_SIZE) return { rows, matched, total };
  const shown = rows.slice(0, USERS_PAGE_SIZE);
  return { rows: shown, matched, total, next: cursorText(cursorAfter(search.order, shown[shown.length - 1]!)) };
}
