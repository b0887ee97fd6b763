// CSV as RFC 4180 writes it (quoted where needed, CRLF line ends), for the console's downloads and
// uploads. A download is opened in spreadsheets, so a cell that a spreadsheet would read as a formula
// (OWASP's CSV injection: it starts with = + - @, a tab or a carriage return) is written with a
// leading apostrophe, which spreadsheets show as text and do not evaluate.

const FORMULA_START = /^[=+\-@\t\r]/;

function cell(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** One line of a download, with its CRLF. */
export function csvLine(cells: readonly string[]): string {
  return `${cells.map(cell).join(",")}\r\n`;
}

/**
 * The rows of an uploaded CSV: quoted cells may hold commas, quotes ("") and line breaks; blank
 * lines are skipped; a byte-order mark is dropped. Null when a quote is never closed.
 */
export function parseCsv(text: string): string[][] | null {
  const rows: string[][] = [];
  let row: string[] = [];
  let value = "";
  let quoted = false;
  let i = text.startsWith("\uFEFF") ? 1 : 0;
  const endRow = () => {
    row.push(value);
    if (row.length > 1 || row[0] !== "") rows.push(row);
    row = [];
    value = "";
  };
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted && ch === '"' && text[i + 1] === '"') {
      value += '"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (quoted) {
      value += ch;
    } else if (ch === ",") {
      row.push(value);
      value = "";
    } else if (ch === "\n") {
      endRow();
    } else if (ch !== "\r") {
      value += ch;
    }
  }
  if (quoted) return null;
  if (value !== "" || row.length > 0) endRow();
  return rows;
}
