/**
 * CSV (RFC 4180) that is safe to open in a spreadsheet: a cell a spreadsheet would read as a
 * formula (starting with = + - @, a tab or a carriage return) gets a leading apostrophe (OWASP's
 * advice on CSV injection), so it shows as text. A cell is quoted when it needs to be; lines end with CRLF.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

function csvCell(value: string | number | null): string {
  const text = value === null ? "" : String(value);
  const safe = FORMULA_START.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function csvLine(cells: readonly (string | number | null)[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}

/** A streamed CSV download: `lines` is pulled as the client reads, so memory stays bounded. */
export function csvResponse(filename: string, lines: AsyncIterable<string>): Response {
  const encoder = new TextEncoder();
  const iterator = lines[Symbol.asyncIterator]();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
  });
  return new Response(body, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${filename}"`,
    },
  });
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
