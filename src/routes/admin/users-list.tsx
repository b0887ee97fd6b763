import type { Context } from "hono";
import type { AppEnv } from "../../app-env";
import type { Session } from "../../domain/sessions";
import { USER_ORDERS, type UserFilters, type UserListRow, type UserOrder } from "../../domain/user-search";
import { CsrfField, Flash, type Notice } from "../../web/page";
import { VisibleName } from "../../web/visible-name";
import { utcText } from "../../web/when";
import { AdminPage } from "./layout";
import { ADMIN_PATHS } from "./paths";

/** The list's search, filters and order, as its GET form sends them (and every link of the list keeps them). */
export interface ListState {
  q: string;
  filters: UserFilters;
  order: UserOrder;
}

/** The query parameter of each filter checkbox, and its label. */
const FILTER_PARAMS = {
  unconfirmed: ["unconfirmed", "Not yet confirmed"],
  codesLocked: ["locked", "Codes locked"],
  portalLocked: ["portal-locked", "Portal locked"],
  imported: ["imported", "Imported"],
} as const satisfies Record<Exclude<keyof UserFilters, "token">, readonly [string, string]>;

const ORDER_LABELS: Record<UserOrder, string> = {
  name: "Name",
  created: "Created, newest first",
  "last-success": "Last success, latest first",
};

function listHref(state: ListState, after?: string): string {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  for (const [key, [param]] of Object.entries(FILTER_PARAMS)) if (state.filters[key as keyof typeof FILTER_PARAMS]) params.set(param, "1");
  if (state.filters.token) params.set("token", state.filters.token);
  if (state.order !== "name") params.set("sort", state.order);
  if (after !== undefined) params.set("after", after);
  const query = params.toString();
  return query ? `${ADMIN_PATHS.users}?${query}` : ADMIN_PATHS.users;
}

/** Which locks hold now, with their ends: the list's and the CSV's "Locked". */
export function lockSummary(row: Pick<UserListRow, "lockedUntil" | "portalLockedUntil">, nowMs: number): string {
  const locks = [
    row.lockedUntil > nowMs ? `codes until ${utcText(row.lockedUntil)}` : "",
    row.portalLockedUntil > nowMs ? `portal until ${utcText(row.portalLockedUntil)}` : "",
  ].filter(Boolean);
  return locks.length ? locks.join("; ") : "no";
}

export interface ListView {
  session: Session;
  nowMs: number;
  state: ListState;
  /** Whether this is a later page (a link back to the first is offered). */
  paged: boolean;
  rows: readonly UserListRow[];
  matched?: number;
  total?: number;
  next?: string;
  notice?: Notice;
}

function SearchForm({ state }: { state: ListState }) {
  return (
    <form method="get" action={ADMIN_PATHS.users}>
      <label for="q">Search: part of a username, email or phone, or a userid</label>
      <input type="search" id="q" name="q" value={state.q} maxlength={255} autocomplete="off" />
      <fieldset class="filters">
        <legend>Only</legend>
        {Object.entries(FILTER_PARAMS).map(([key, [param, label]]) => (
          <label class="check">
            <input type="checkbox" name={param} value="1" checked={Boolean(state.filters[key as keyof typeof FILTER_PARAMS])} /> {label}
          </label>
        ))}
        <label class="check">
          Token{" "}
          <select name="token">
            <option value="">any</option>
            <option value="app" selected={state.filters.token === "app"}>
              app
            </option>
            <option value="hardware" selected={state.filters.token === "hardware"}>
              hardware
            </option>
          </select>
        </label>
        <label class="check">
          Sort by{" "}
          <select name="sort">
            {USER_ORDERS.map((order) => (
              <option value={order} selected={state.order === order}>
                {ORDER_LABELS[order]}
              </option>
            ))}
          </select>
        </label>
      </fieldset>
      <button type="submit">Search</button>
    </form>
  );
}

export function UserListPage(view: ListView) {
  const { nowMs, state } = view;
  return (
    <AdminPage title="Users" session={view.session}>
      <Flash kind={view.notice?.kind ?? "notice"} text={view.notice?.text} />
      <SearchForm state={state} />
      <p>
        <a href={ADMIN_PATHS.usersExport}>Download all users (CSV)</a> · <a href={ADMIN_PATHS.onboard}>Set portal passwords from a CSV…</a>
      </p>
      {view.total === undefined ? null : (
        <p class="muted" id="counts">
          {`${view.matched!.toLocaleString("en")} of ${view.total.toLocaleString("en")} users match.`} A search matches any part of the
          username, email or phone (letters A–Z in any case) and, when it is a number, the userid.
        </p>
      )}
      {view.rows.length === 0 ? (
        <p>No users match.</p>
      ) : (
        <form method="post" action={ADMIN_PATHS.bulk}>
          <CsrfField token={view.session.csrfToken} />
          <table>
            <thead>
              <tr>
                <th>Select</th>
                <th>Userid</th>
                <th>Username</th>
                <th>Created</th>
                <th>Confirmed</th>
                <th>Last success</th>
                <th>Locked</th>
              </tr>
            </thead>
            <tbody>
              {view.rows.map((row) => (
                <tr>
                  <td data-label="Select">
                    <input type="checkbox" name="id" value={String(row.id)} aria-label={`Select user ${row.id}`} />
                  </td>
                  <td data-label="Userid">{String(row.id)}</td>
                  <td data-label="Username">
                    <a href={ADMIN_PATHS.user(row.id)}>
                      <VisibleName name={row.username} />
                    </a>
                  </td>
                  <td data-label="Created">{utcText(row.createdAt * 1000)}</td>
                  <td data-label="Confirmed">{row.confirmedAt === null ? "not yet" : utcText(row.confirmedAt * 1000)}</td>
                  <td data-label="Last success">{row.lastSuccessAt === null ? "never" : utcText(row.lastSuccessAt * 1000)}</td>
                  <td data-label="Locked">{lockSummary(row, nowMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p>
            With the selected users:{" "}
            <button type="submit" name="action" value="unlock">
              Unlock…
            </button>
            <button type="submit" name="action" value="reset-secret">
              Reset secrets…
            </button>
            <button type="submit" name="action" value="delete" class="danger">
              Delete…
            </button>
          </p>
        </form>
      )}
      {view.paged || view.next !== undefined ? (
        <p>
          {view.paged ? <a href={listHref(state)}>First page</a> : null}{" "}
          {view.next !== undefined ? <a href={listHref(state, view.next)}>Next page</a> : null}
        </p>
      ) : null}
    </AdminPage>
  );
}

/** The list's state from its query: unknown values of `sort` and `token` are ignored. */
export function listState(c: Context<AppEnv>, q: string): ListState {
  const flag = (param: string) => c.req.query(param) === "1";
  const sort = c.req.query("sort") ?? "name";
  const token = c.req.query("token");
  return {
    q,
    filters: {
      unconfirmed: flag(FILTER_PARAMS.unconfirmed[0]),
      codesLocked: flag(FILTER_PARAMS.codesLocked[0]),
      portalLocked: flag(FILTER_PARAMS.portalLocked[0]),
      imported: flag(FILTER_PARAMS.imported[0]),
      token: token === "app" || token === "hardware" ? token : undefined,
    },
    order: USER_ORDERS.includes(sort as UserOrder) ? (sort as UserOrder) : "name",
  };
}
