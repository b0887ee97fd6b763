// The writing half of npm run rotate-keys: re-seals every secret that is not under the keyring's
// first key, in batches, each row only if its ciphertext is still the one read.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { open, seal, type Keyring } from "../src/crypto/secret-box";
import { execute, executeFile, sqlString, type D1Target } from "./d1";
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

type SealedRow = { id: number; username_key: string; secret_key_id: string; secret_ciphertext: string };

const count = (sql: string, target: D1Target): number => execute<{ n: number }>(sql, target)[0]?.n ?? 0;

/**
 * Each pass covers the users that existed when it started. Ids only grow (AUTOINCREMENT) and the
 * Worker never re-seals a row in place, so a row under an old key with a higher id is a user
 * created during the pass by an isolate that still had the old keyring: the next pass takes it.
 * Throws, having written no further row, once the Worker stops sealing under the keyring's first key.
 */
export async function resealAll(rotation: Rotation): Promise<RotationResult> {
  const { target, keyring } = rotation;
  const notCurrent = `secret_key_id <> ${sqlString(keyring.currentId)}`;
  const result: RotationResult = { resealed: 0, skipped: 0, passes: 0, arrived: 0, lastArrivals: 0, remaining: 0 };
  const scratch = mkdtempSync(path.join(tmpdir(), "totp-edge-rotate-"));
  try {
    let from = 0;
    while (result.passes < MAX_PASSES) {
      result.passes++;
      const to = count("SELECT coalesce(max(id), 0) AS n FROM users", target);
      await resealRange(rotation, from, to, path.join(scratch, "batch.sql"), result);
      from = to;
      result.lastArrivals = count(`SELECT count(*) AS n FROM users WHERE id > ${from} AND ${notCurrent}`, target);
      if (result.lastArrivals === 0) break;
      if (result.passes < MAX_PASSES) {
        result.arrived += result.lastArrivals;
        console.log(
          `${result.lastArrivals} secret(s) arrived under an old key during pass ${result.passes} (a Worker isolate with the old keyring?): pass ${result.passes + 1}`,
        );
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  result.remaining = count(`SELECT count(*) AS n FROM users WHERE ${notCurrent}`, target);
  return result;
}

/** Re-seals the rows with from < id <= to that are not under the current key; `file` holds each batch. */
async function resealRange(
  { target, workerUrl, keyring, batch }: Rotation,
  from: number,
  to: number,
  file: string,
  result: RotationResult,
): Promise<void> {
  const current = keyring.currentId;
  let afterId = from;
  for (;;) {
    const rows = execute<SealedRow>(
      `SELECT id, username_key, secret_key_id, secret_ciphertext FROM users
       WHERE secret_key_id <> ${sqlString(current)} AND id > ${afterId} AND id <= ${to} ORDER BY id LIMIT ${batch}`,
      target,
    );
    const last = rows.at(-1);
    if (!last) return;
    afterId = last.id;
    const updates: string[] = [];
    for (const row of rows) {
      let secret: Uint8Array;
      try {
        secret = await open(keyring, { keyId: row.secret_key_id, ciphertext: row.secret_ciphertext }, row.username_key);
      } catch {
        result.skipped++;
        console.error(`user ${row.id}: cannot open its secret (key id ${row.secret_key_id} missing from the keyring?), left as is`);
        continue;
      }
      const sealed = await seal(keyring, secret, row.username_key);
      updates.push(
        `UPDATE users SET secret_key_id = ${sqlString(sealed.keyId)}, secret_ciphertext = ${sqlString(sealed.ciphertext)} ` +
          `WHERE id = ${row.id} AND secret_ciphertext = ${sqlString(row.secret_ciphertext)};`,
      );
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
  }
}
