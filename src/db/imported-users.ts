// The SQL of `npm run import`'s user rows (the CLI renders each row's values as SQL literals, sealed
// under the keyring first): one home for the column list, so that every imported user carries
// `imported_at` and the console can tell them apart (its "imported" filter and total).

/** The columns of an imported user, in the order each row's values are rendered; `imported_at` (Unix seconds) last. */
const IMPORTED_USER_COLUMNS = [
  "id",
  "username",
  "username_key",
  "phone",
  "email",
  "secret_ciphertext",
  "secret_key_id",
  "created_at",
  "confirmed_at",
  "totp_algorithm",
  "totp_digits",
  "totp_period",
  "totp_drift",
  "token_serial",
  "imported_at",
] as const;

/**
 * One INSERT of rendered rows (`(v1, v2, …)`, one per user, values in IMPORTED_USER_COLUMNS
 * order). A row whose username, userid or serial exists is skipped (no conflict target); the
 * inserted users come back with their ids.
 */
export function insertImportedUsersSql(rows: readonly string[]): string {
  return `INSERT INTO users (${IMPORTED_USER_COLUMNS.join(", ")}) VALUES\n${rows.join(",\n")}\nON CONFLICT DO NOTHING RETURNING id, username`;
}
