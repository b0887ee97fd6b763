// Reading an import file (npm run import): CSV with a header row (RFC 4180), or JSON lines, as
// records of named fields with their line numbers. What the fields may hold is import-rows.ts's.

export const IMPORT_COLUMNS = [
  "userid",
  "username",
  "created",
  "confirmed",
  "secret",
  "secret_hex",
  "algorithm",
  "digits",
  "period",
  "drift",
  "serial",
  "email",
  "phone",
] as const;
export type Column = (typeof IMPORT_COLUMNS)[number];

/** A bad row: its line in the file (the header is line 1) and why, never the value of a secret. */
export class RowError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
    where = "line",
  ) {
    super(`${where} ${line}: ${reason}`);
  }
}

export type FileRecord = { line: number; fields: Partial<{ [K in Column]: string }> };

/**
 * The file's records, in order, a bad one as its RowError; JSON lines when the first non-blank
 * character is `{`, else CSV. Throws RowError when the rest cannot be read (a bad header, an open quote).
 */
export function* records(text: string): Generator<FileRecord | RowError> {
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  yield* /^\s*\{/.test(body) ? jsonLines(body) : csv(body);
}

function* jsonLines(text: string): Generator<FileRecord | RowError> {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    try {
      yield { line: i + 1, fields: jsonFields(line, i + 1) };
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      yield error;
    }
  }
}

function jsonFields(line: string, number: number): FileRecord["fields"] {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    value = undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new RowError(number, "not a JSON object");
  const fields: FileRecord["fields"] = {};
  for (const [name, field] of Object.entries(value)) {
    const column = columnOf(name, number, `field ${Object.keys(value).indexOf(name) + 1} of the object`);
    // null as an empty CSV cell: the export writes "confirmed": null for a user who never confirmed.
    if (typeof field !== "string" && typeof field !== "number" && field !== null)
      throw new RowError(number, `${column} must be a string or a number`);
    fields[column] = field === null ? "" : String(field);
  }
  return fields;
}

/**
 * A header cell as its column. An unknown one is named by its position only: in a file without a
 * header row (or one separated by semicolons) the "header" is a user's row, its seed included.
 */
function columnOf(name: string, line: number, where: string): Column {
  const column = name.trim().toLowerCase();
  if (!(IMPORT_COLUMNS as readonly string[]).includes(column)) {
    throw new RowError(line, `${where} is not a known column name (known: ${IMPORT_COLUMNS.join(", ")})`);
  }
  return column as Column;
}

/** RFC 4180: quoted fields may hold commas, newlines and "" for a quote; blank lines are skipped. */
function* csv(text: string): Generator<FileRecord | RowError> {
  let header: Column[] | null = null;
  for (const { line, cells } of csvRows(text)) {
    if (cells.length === 1 && cells[0]!.trim() === "") continue;
    if (header === null) {
      header = cells.map((cell, i) => columnOf(cell, line, `column ${i + 1} of the header (the first line, fields separated by commas)`));
      const repeated = header.find((column, i) => header!.indexOf(column) !== i);
      if (repeated) throw new RowError(line, `column ${repeated} appears twice`);
      if (!header.includes("username")) throw new RowError(line, "the header has no username column");
      continue;
    }
    if (cells.length !== header.length) {
      yield new RowError(line, `${cells.length} fields, but the header has ${header.length}`);
      continue;
    }
    const fields: FileRecord["fields"] = {};
    header.forEach((column, i) => {
      fields[column] = cells[i]!;
    });
    yield { line, fields };
  }
}

export function* csvRows(text: string): Generator<{ line: number; cells: string[] }> {
  let line = 1;
  let start = 1;
  let cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') quoted = false;
      else {
        if (char === "\n") line++;
        cell += char;
      }
    } else if (char === '"' && cell.trim() === "") {
      quoted = true;
      cell = "";
    } else if (char === ",") {
      cells.push(cell);
      cell = "";
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && text[i + 1] === "\n") i++;
      cells.push(cell);
      yield { line: start, cells };
      cells = [];
      cell = "";
      start = ++line;
    } else cell += char;
  }
  if (quoted) throw new RowError(start, "a quoted field is not closed");
  if (cell !== "" || cells.length > 0) yield { line: start, cells: [...cells, cell] };
}
