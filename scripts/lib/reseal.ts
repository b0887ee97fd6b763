// The writing half of npm run rotate-keys: re-seals every secret of every sealed column (users'
// secrets, admins' second factors) that is not under the keyring's first key, in batches, each row
// only if its ciphertext is still the one read.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { open, seal, type Keyring } from "../../src/crypto/secret-box";
import {
  countNotUnder,
  highestId,
  resealStatement,
  rowsNotUnder,
  SEALED_COLUMNS,
  type SealedColumn,
  type SealedRow,
} from "../../src/db/sealed-columns";
import { execute, executeEach, executeFile, inlineSql, SQL_ONLY_DB, type D1Target } from "./d1";
import { ROTATION_ORDER, sealingProblem, workerKeyIds } from "./worker-key-ids";

/** Passes over users created during the previous pass (by an isolate that still has the old keyring). */
export const MAX_PASSES = 5;

interface Rotation {
  target: D1Target;
  /** Asked before each write whether it still seals under the keyring's first key. */
  workerUrl: string;
  keyring: Keyring;
  /** Rows per write. */
  batch: number;
}

interface RotationResult {
  resealed: number;
  /** Rows whose secret the keyring could not open; left as they were. */
  skipped: number;
  passes: number;
  /** Rows that arrived under an old key during a pass and were taken by the next one. */
  arrived: number;
  /** Rows that arrived under an old key during the last pass (left for a later run). */
  lastArrivals: number;
  /** Rows still under another key at the end. */
  remaining: number;
}

/** Runs counting statements in one wrangler call (one D1 request) and returns each one's `n`. */
const counts = (statements: readonly unknown[], target: D1Target): number[] =>
  executeEach<{ n: number }>(statements.map(inlineSql), target).map((rows) => rows[0]?.n ?? 0);

/** Re-seals every sealed column of the schema (src/db/sealed-columns.ts), one after the other. */
export async function resealAll(rotation: Rotation): Promise<RotationResult> {
  const result: RotationResult = { resealed: 0, skipped: 0, passes: 0, arrived: 0, lastArrivals: 0, remaining: 0 };
  const scratch = mkdtempSync(path.join(tmpdir(), "totp-edge-rotate-"));
  try {
    for (const column of SEALED_COLUMNS) await resealColumn(rotation, column, path.join(scratch, "batch.sql"), result);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return result;
}

/**
 * Each pass covers the rows that existed when it started. Ids only grow (AUTOINCREMENT) and the
 * Worker never re-seals a user's row in place, so a row under an old key with a higher id is one
 * created during the pass by an isolate that still had the old keyring: the next pass takes it.
 * (An admin who enrols during the run under an old key has a lower id: `remaining` counts it, and
 * a second run re-seals it.) Throws, having written no further row, once the Worker stops sealing
 * under the keyring's first key. Wrangler calls are few: each starts a process that takes seconds.
 */
async function resealColumn(rotation: Rotation, column: SealedColumn, file: string, result: RotationResult): Promise<void> {
  const { target, keyring } = rotation;
  const current = keyring.currentId;
  const highest = highestId(SQL_ONLY_DB, column);
  const [first = 0, behind = 0] = counts([highest, countNotUnder(SQL_ONLY_DB, column, current)], target);
  if (behind === 0) return;
  let [from, to] = [0, first];
  for (let passes = 1; ; passes++) {
    await resealRange(rotation, column, from, to, file, result);
    const [arrivals = 0, next = 0, remaining = 0] = counts(
      [countNotUnder(SQL_ONLY_DB, column, current, to), highest, countNotUnder(SQL_ONLY_DB, column, current)],
      target,
    );
    result.passes = Math.max(result.passes, passes);
    if (arrivals > 0 && passes === MAX_PASSES) result.lastArrivals += arrivals;
    if (arrivals === 0 || passes === MAX_PASSES) {
      result.remaining += remaining;
      return;
    }
    result.arrived += arrivals;
    console.log(
      `${arrivals} secret(s) arrived under an old key during pass ${passes} (${column.label}; a Worker isolate with the old keyring?): pass ${passes + 1}`,
    );
    [from, to] = [to, next];
  }
}

/** Re-seals the rows with from < id <= to that are not under the current key; `file` holds each batch. */
async function resealRange(
  { target, workerUrl, keyring, batch }: Rotation,
  column: SealedColumn,
  from: number,
  to: number,
  file: string,
  result: RotationResult,
): Promise<void> {
  const current = keyring.currentId;
  let afterId = from;
  for (;;) {
    const rows = execute<SealedRow>(inlineSql(rowsNotUnder(SQL_ONLY_DB, column, current, afterId, to, batch)), target);
    const last = rows.at(-1);
    if (!last) return;
    afterId = last.id;
    const updates: string[] = [];
    for (const row of rows) {
      const context = column.contextPrefix + row.context;
      let secret: Uint8Array;
      try {
        secret = await open(keyring, row, context);
      } catch {
        result.skipped++;
        console.error(
          `${column.label}, row ${row.id}: cannot open its secret (key id ${row.sealKeyId} missing from the keyring?), left as is`,
        );
        continue;
      }
      const sealed = await seal(keyring, secret, context);
      secret.fill(0);
      updates.push(`${inlineSql(resealStatement(SQL_ONLY_DB, column, row, sealed))};`);
    }
    if (updates.length) {
      // The Worker's keyring can change during a long run (a deploy, a secret put): ask again before each write.
      const now = await workerKeyIds(workerUrl);
      const changed = "problem" in now ? now.problem : sealingProblem(workerUrl, current, now.ids);
      if (changed) {
        throw new Error(
          `${changed} Stopped: ${result.resealed} secret(s) had been re-sealed under "${current}" before, none after.\n${ROTATION_ORDER}`,
        );
      }
      writeFileSync(file, updates.join("\n"), { mode: 0o600 });
      executeFile(file, target);
      result.resealed += updates.length;
    }
    console.log(`re-sealed ${result.resealed} secret(s) so far under key ${current}`);
    if (rows.length < batch) return; // the last batch of the range: no need to ask for an empty one
  }
}
