/**
 * A row id as the console writes it in links and forms (users, API keys, audit pages): a positive
 * integer of at most 15 digits, so it is exact as a JavaScript number. Anything else names no row.
 */
export function parseRowId(text: string | undefined): number | null {
  return text !== undefined && /^[1-9][0-9]{0,14}$/.test(text) ? Number(text) : null;
}
