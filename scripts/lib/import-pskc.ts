// A PSKC file as import rows: its TOTP keys, each one a user's (our own export names them; an
// --assign file names them by serial) or, with nobody named, a token for the inventory.
import { csvRows, type FileRecord, IMPORT_COLUMNS, RowError } from "./import-parse";
import { checkRecord, checkToken, type ImportRow, once, type TokenRow } from "./import-rows";
import { type PskcKey, type PskcKeys, readPskc } from "./pskc-read";

export interface PskcInput {
  users: ImportRow[];
  inventory: TokenRow[];
  errors: RowError[];
}

/** RFC 6030 §3.1's URN and the drafts' URI, by their last part. */
const isTotp = (algorithm: string) => /[:#]totp$/i.test(algorithm);
const ASSIGN = "--assign line";

export async function pskcRows(xml: string, keys: PskcKeys, assignText: string | undefined): Promise<PskcInput> {
  const errors: RowError[] = [];
  const assign = assignText === undefined ? new Map<string, { username: string; line: number }>() : assignments(assignText, errors);
  const input: PskcInput = { users: [], inventory: [], errors };
  const seen = new Map<string, number>();
  for (const key of await readPskc(xml, keys)) {
    try {
      const { fields, line } = key;
      const serial = fields.serial;
      if (serial !== undefined) once(seen, `serial ${serial}`, line, "serial");
      const assigned = serial === undefined ? undefined : assign.get(serial);
      assign.delete(serial ?? "");
      const record = tokenRecord(key);
      // Our export names its user by UserId beside its userid; any other producer's UserId is its own business.
      const username = fields.userid !== undefined ? fields.username : assigned?.username;
      if (username !== undefined) {
        const row = checkRecord({ line, fields: { ...record.fields, username } });
        if (row.secret === null) throw new RowError(line, "the key has no secret");
        once(seen, `username ${row.usernameKey}`, line, "username");
        if (row.userId !== null) once(seen, `userid ${row.userId}`, line, "userid");
        input.users.push(row);
      } else if (serial === undefined) {
        throw new RowError(line, "the key has no SerialNo and names no user: nobody could be given it later");
      } else {
        const fail = (reason: string): never => {
          throw new RowError(line, reason);
        };
        input.inventory.push(checkToken(line, record.fields, fail, true) as TokenRow);
      }
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      errors.push(error);
    }
  }
  for (const { line } of assign.values()) errors.push(new RowError(line, "no key in the PSKC file has this serial", ASSIGN));
  return input;
}

/** The key's values as import columns; what only PSKC can say wrong is refused here. */
function tokenRecord({ line, algorithm, fields }: PskcKey): FileRecord {
  if (!isTotp(algorithm))
    throw new RowError(line, `not a TOTP key (${algorithm.split(/[:#]/).pop()}): only time-based tokens can be imported`);
  if (fields.encoding !== undefined && fields.encoding !== "DECIMAL")
    throw new RowError(line, "the codes are not decimal (ResponseFormat Encoding)");
  // RFC 6238's T0 is 0 for every token we know; a key that counts from elsewhere would never match.
  if (fields.time !== undefined && fields.time !== "0") throw new RowError(line, "a TOTP start time (Time) other than 0 is not supported");
  // Every column but the name (ours is the UserId, or --assign's) and a base32 secret (PSKC's is binary).
  const known = IMPORT_COLUMNS.filter((column) => column !== "username" && column !== "secret");
  return { line, fields: Object.fromEntries(known.filter((c) => fields[c] !== undefined).map((c) => [c, fields[c]])) };
}

/** The --assign file: CSV serial,username (a header row of those two words is optional). */
function assignments(text: string, errors: RowError[]): Map<string, { username: string; line: number }> {
  const out = new Map<string, { username: string; line: number }>();
  const seen = new Map<string, number>();
  try {
    for (const { line, cells } of csvRows(text.replace(/^\uFEFF/, ""))) {
      if (cells.length === 1 && cells[0]!.trim() === "") continue;
      const [serial, username] = cells.map((cell) => cell.trim());
      if (line === 1 && serial?.toLowerCase() === "serial" && username?.toLowerCase() === "username") continue;
      if (cells.length !== 2 || !serial || !username) {
        errors.push(new RowError(line, "give two fields, serial and username", ASSIGN));
        continue;
      }
      try {
        once(seen, `serial ${serial}`, line, "serial");
        once(seen, `username ${username}`, line, "username");
        out.set(serial, { username, line });
      } catch (error) {
        if (!(error instanceof RowError)) throw error;
        errors.push(new RowError(line, error.reason, ASSIGN));
      }
    }
  } catch (error) {
    if (!(error instanceof RowError)) throw error;
    errors.push(new RowError(error.line, error.reason, ASSIGN));
  }
  return out;
}
