// npm run rotate-keys -- [--verify] [--worker URL] [--remote] [--env NAME] [--persist-to DIR] [--batch N]
//
// Re-seals every TOTP secret that is not under the keyring's current (first) key. The keyring is
// read from SECRET_ENCRYPTION_KEYS in the environment, or from .dev.vars for the local D1.
// Each row is rewritten only if its ciphertext is still the one read, so users created, deleted or
// re-sealed meanwhile are never clobbered.
//
// Nothing is written unless the Worker that uses this D1 seals with the same first key: its
// GET /healthz lists its key ids (never keys). Re-sealing under a key the Worker lacks would make
// every secret unreadable to it (every validate a 500, every QR code a 404); re-sealing while the
// Worker still seals under the old key would leave every user created meanwhile behind.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { keyIds, loadKeyring, open, seal } from "../src/crypto/secret-box.ts";
import { execute, executeFile, sqlString } from "./d1.mjs";
import { ROOT } from "./wrangler.mjs";

const USAGE = `usage: npm run rotate-keys -- [options]
  Re-seals every TOTP secret under the first key of SECRET_ENCRYPTION_KEYS (from the environment,
  or .dev.vars for the local D1), once the Worker seals with that key too.
  --verify       only count the secrets under each key id, and check the Worker has every one
                 of them (exit 1 if not); SECRET_ENCRYPTION_KEYS is optional here
  --worker URL   the Worker that uses this D1 (default: http://127.0.0.1:$PORT, PORT=8787;
                 required with --remote)
  --remote       the deployed D1 (default: local)   --env NAME   a wrangler.toml environment
  --persist-to DIR   local state folder   --batch N   rows per write, 1 to 1000 (default 200)`;

const ROTATION_ORDER =
  "Order of a rotation: 1) put the new key first in the Worker's SECRET_ENCRYPTION_KEYS, the old keys after it, and deploy; " +
  "2) run npm run rotate-keys with that same keyring; " +
  "3) once `npm run rotate-keys -- --verify` shows no secret under an old key, drop that key from the Worker.";
/** Passes over users created during the previous pass (by an isolate that still has the old keyring). */
const MAX_PASSES = 5;

/** Exit 2: nothing was written. */
function refuse(message, { usage = false } = {}) {
  console.error(usage ? `${message}\n\n${USAGE}` : message);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      remote: { type: "boolean", default: false },
      env: { type: "string" },
      "persist-to": { type: "string" },
      batch: { type: "string", default: "200" },
      worker: { type: "string" },
      verify: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  }));
} catch (error) {
  refuse(error.message, { usage: true });
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const target = { remote: values.remote, env: values.env, persistTo: values["persist-to"] };
const batch = Number(values.batch);
if (!Number.isInteger(batch) || batch < 1 || batch > 1000) refuse("--batch must be an integer from 1 to 1000", { usage: true });
if (values.remote && !values.worker) refuse("--remote needs --worker https://… (the deployed Worker whose /healthz lists its key ids)", { usage: true });
const workerUrl = (values.worker ?? `http://127.0.0.1:${process.env.PORT || "8787"}`).replace(/\/+$/, "");

function keyringConfig() {
  if (process.env.SECRET_ENCRYPTION_KEYS) return process.env.SECRET_ENCRYPTION_KEYS;
  const devVars = path.join(ROOT, ".dev.vars");
  if (!values.remote && existsSync(devVars)) {
    const line = readFileSync(devVars, "utf8").split("\n").find((l) => l.startsWith("SECRET_ENCRYPTION_KEYS="));
    if (line) return line.slice(line.indexOf("=") + 1).trim().replace(/^"|"$/g, "");
  }
  return undefined;
}

/**
 * The Worker's key ids, sealing one first, as its /healthz publishes them, or why they are not
 * known: nothing is re-sealed without them.
 */
async function workerKeyIds() {
  let res;
  // A dropped connection mid-run should not stop a long rotation: three tries, a second apart.
  for (let attempt = 1; !res; attempt++) {
    try {
      res = await fetch(`${workerUrl}/healthz`, { signal: AbortSignal.timeout(15_000) });
    } catch (error) {
      if (attempt < 3) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      return {
        problem: `Cannot reach the Worker at ${workerUrl} (${error.cause?.code ?? error.name}) to ask which keys it has. ` +
          "Start it with `npm run dev`, or pass --worker URL (with --remote: the deployed Worker).",
      };
    }
  }
  const body = await res.json().catch(() => undefined);
  if (body?.keyring === "invalid") {
    return { problem: `The Worker at ${workerUrl} cannot load its SECRET_ENCRYPTION_KEYS (its /healthz says "keyring": "invalid"; its log says why).` };
  }
  if (!Array.isArray(body?.keyIds) || body.keyIds.length === 0 || !body.keyIds.every((id) => typeof id === "string")) {
    return { problem: `${workerUrl}/healthz (HTTP ${res.status}) does not list key ids: is --worker the Worker of this D1, at a version that publishes them?` };
  }
  return { ids: body.keyIds };
}

/** Why re-sealing under `currentId` would hurt, or null when the Worker seals with it too. */
function sealingProblem(currentId, workerIds) {
  const theirs = workerIds.map((id) => `"${id}"`).join(", ");
  if (!workerIds.includes(currentId)) {
    return `The Worker at ${workerUrl} has no key "${currentId}" (it has ${theirs}): secrets re-sealed under it would be unreadable ` +
      "to the Worker (every validate a 500, every QR code a 404).";
  }
  if (workerIds[0] !== currentId) {
    return `The Worker at ${workerUrl} seals new secrets under key "${workerIds[0]}", not "${currentId}" (its keys, sealing one first: ` +
      `${theirs}): users created during and after this rotation would still arrive under "${workerIds[0]}".`;
  }
  return null;
}

const count = (sql) => execute(sql, target)[0].n;

const config = keyringConfig();
let keyring;
if (config !== undefined || !values.verify) {
  if (config === undefined) refuse("Set SECRET_ENCRYPTION_KEYS to the new keyring (new key first, old keys after).");
  try {
    keyring = await loadKeyring(config);
  } catch (error) {
    refuse(error.message);
  }
}
const worker = await workerKeyIds();
if (worker.problem) refuse(`${worker.problem} Nothing was written.`);
const workerIds = worker.ids;

if (values.verify) {
  const rows = execute("SELECT secret_key_id AS keyId, count(*) AS n FROM users GROUP BY secret_key_id ORDER BY secret_key_id", target);
  const mine = keyring ? keyIds(keyring) : [];
  const role = (ids, id) => (ids[0] === id ? "seals" : ids.includes(id) ? "opens" : "unknown");
  const perKey = new Map(rows.map(({ keyId, n }) => [keyId, n]));
  for (const id of [...workerIds, ...mine]) if (!perKey.has(id)) perKey.set(id, 0);
  console.log("key id\tsecrets\tWorker\tthis keyring");
  for (const [id, n] of perKey) console.log(`${id}\t${n}\t${role(workerIds, id)}\t${keyring ? role(mine, id) : "-"}`);

  const unreadable = rows.filter(({ keyId }) => !workerIds.includes(keyId));
  const behind = rows.filter(({ keyId }) => keyId !== workerIds[0]);
  const sum = (list) => list.reduce((total, { n }) => total + n, 0);
  const names = (list) => list.map(({ keyId }) => `"${keyId}"`).join(", ");
  if (unreadable.length) {
    console.error(
      `${sum(unreadable)} secret(s) are under key ids the Worker does not have (${names(unreadable)}): those users cannot validate (500) ` +
        "or open their QR code (404) until that key is back in the Worker's SECRET_ENCRYPTION_KEYS.",
    );
    process.exit(1);
  }
  if (behind.length) {
    console.log(`${sum(behind)} secret(s) are not yet under the Worker's sealing key "${workerIds[0]}": run npm run rotate-keys before dropping ${names(behind)}.`);
  } else {
    console.log(`Every secret is under the Worker's sealing key "${workerIds[0]}"; no other key is needed for this D1.`);
  }
  process.exit(0);
}

const current = keyring.currentId;
const problem = sealingProblem(current, workerIds);
if (problem) refuse(`${problem} Nothing was written.\n${ROTATION_ORDER}`);

const scratch = mkdtempSync(path.join(tmpdir(), "totp-edge-rotate-"));
let resealed = 0;
let skipped = 0;

/** Re-seals the rows with from < id <= to that are not under the current key. */
async function resealRange(from, to) {
  let afterId = from;
  for (;;) {
    const rows = execute(
      `SELECT id, username_key, secret_key_id, secret_ciphertext FROM users
       WHERE secret_key_id <> ${sqlString(current)} AND id > ${afterId} AND id <= ${to} ORDER BY id LIMIT ${batch}`,
      target,
    );
    if (rows.length === 0) return;
    afterId = rows[rows.length - 1].id;
    const updates = [];
    for (const row of rows) {
      let secret;
      try {
        secret = await open(keyring, { keyId: row.secret_key_id, ciphertext: row.secret_ciphertext }, row.username_key);
      } catch {
        skipped++;
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
      const now = await workerKeyIds();
      const changed = now.problem ?? sealingProblem(current, now.ids);
      if (changed) {
        rmSync(scratch, { recursive: true, force: true });
        console.error(`${changed} Stopped: ${resealed} secret(s) had been re-sealed under "${current}" before, none after.\n${ROTATION_ORDER}`);
        process.exit(1);
      }
      const file = path.join(scratch, "batch.sql");
      writeFileSync(file, updates.join("\n"), { mode: 0o600 });
      executeFile(file, target);
      resealed += updates.length;
    }
    console.log(`re-sealed ${resealed} secret(s) so far under key ${current}`);
  }
}

// Each pass covers the users that existed when it started. Ids only grow (AUTOINCREMENT) and the
// Worker never re-seals a row in place, so a row under an old key with a higher id is a user
// created during the pass by an isolate that still had the old keyring: the next pass takes it.
let passes = 0;
let arrived = 0;
let lastArrivals = 0;
try {
  let from = 0;
  while (passes < MAX_PASSES) {
    passes++;
    const to = count("SELECT coalesce(max(id), 0) AS n FROM users");
    await resealRange(from, to);
    from = to;
    lastArrivals = count(`SELECT count(*) AS n FROM users WHERE id > ${from} AND secret_key_id <> ${sqlString(current)}`);
    if (lastArrivals === 0) break;
    if (passes < MAX_PASSES) {
      arrived += lastArrivals;
      console.log(`${lastArrivals} secret(s) arrived under an old key during pass ${passes} (a Worker isolate with the old keyring?): pass ${passes + 1}`);
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const remaining = count(`SELECT count(*) AS n FROM users WHERE secret_key_id <> ${sqlString(current)}`);
const passNote = passes > 1 ? ` in ${passes} passes (${arrived} arrived under an old key during the rotation)` : "";
console.log(`Done: ${resealed} secret(s) re-sealed under key ${current}${passNote}.`);
if (remaining > 0) {
  const why = [skipped && `${skipped} could not be opened`, lastArrivals && `${lastArrivals} arrived after the last of ${MAX_PASSES} passes`].filter(Boolean);
  console.error(`${remaining} secret(s) are still under other keys${why.length ? ` (${why.join("; ")})` : ""}: keep those keys, and see --verify.`);
  process.exit(1);
}
if (workerIds.length > 1) {
  console.log("Before dropping an old key from the Worker, run npm run rotate-keys -- --verify: isolates that started before the key change may still create users under it for a while.");
}
