// npm run apikey -- create [--label NAME] [--key KEY] | list | revoke ID   [--remote] [--env NAME] [--persist-to DIR]
// Keys are stored only as SHA-256 hashes: `create` prints the key once and never again.
import { estimateKeyBits, generateApiKey, hashApiKey, MIN_REGISTERED_KEY_BITS } from "../src/crypto/api-keys";
import { activeKeyWithId, auditKeyStatement, insertKeys, keyWithHash, listKeysById, revokeKeyStatement } from "../src/db/console-keys";
import { actorJson, keyEventStatement } from "../src/db/outbox";
import { newEvent } from "../src/domain/events";
import { commandLine, D1_TARGET_OPTIONS, d1Target, messageOf, runIfEntryPoint, usageError } from "./lib/cli";
import { applyMigrations, type D1Target, execute, executeEach, inlineSql, SQL_ONLY_DB } from "./lib/d1";
import { DEV_API_KEY } from "./dev";

const USAGE = `usage: npm run apikey -- <command> [options]
  create [--label NAME] [--key KEY]   make a key (or register an existing one, e.g. an appliance's) and print it once
  list                                show ids, labels, creation and revocation times (never keys)
  revoke ID                           refuse the key with this id from now on
options: --remote (the deployed D1; default: local)  --env NAME (a wrangler.toml environment)  --persist-to DIR (local state folder)`;

type ApiKeyListRow = { id: number; label: string; created_at: number; revoked_at: number | null };

const db = SQL_ONLY_DB;
/** The CLI's changes are audited and announced (docs/events.md) as the console's are, with actor "cli". */
const CLI = { actor: "cli", outcome: "ok" } as const;
const cliActor = actorJson({ type: "cli" });
const clock = { now: Date.now };

/** Adds the key with its audit entry and its api_key.created event, in one batch; returns its id. */
async function createKey(label: string, key: string, target: D1Target): Promise<number> {
  const keyHash = await hashApiKey(key);
  const where = keyWithHash(keyHash);
  const [created] = executeEach<{ id: number }>(
    [
      insertKeys(db, [{ label, keyHash }]),
      auditKeyStatement(db, { ...CLI, at: Date.now(), action: "key.create" }, where),
      keyEventStatement(db, newEvent(clock, "api_key.created"), cliActor, where),
    ].map(inlineSql),
    target,
  );
  return created![0]!.id;
}

/** Revokes an active key (audit entry and api_key.revoked event under the same condition); false: no such active key. */
function revokeKey(id: number, target: D1Target): boolean {
  const [, , revoked] = executeEach(
    [
      auditKeyStatement(db, { ...CLI, at: Date.now(), action: "key.revoke" }, activeKeyWithId(id)),
      keyEventStatement(db, newEvent(clock, "api_key.revoked"), cliActor, activeKeyWithId(id)),
      revokeKeyStatement(db, id, Math.floor(Date.now() / 1000)),
    ].map(inlineSql),
    target,
  );
  return revoked!.length > 0;
}

function fail(message: string): never {
  usageError(USAGE, message);
}

async function main(): Promise<void> {
  const { values, positionals } = commandLine(USAGE, {
    label: { type: "string", default: "" },
    key: { type: "string" },
    ...D1_TARGET_OPTIONS,
  });
  const target = d1Target(values);
  const [command, ...rest] = positionals;

  // Arguments are checked before anything touches a database. Messages never repeat a given key:
  // it would land in terminal scrollback and CI logs.
  if (command !== "create" && command !== "list" && command !== "revoke") fail(command ? `unknown command: ${command}` : "missing command");
  const key = command === "create" ? (values.key ?? generateApiKey()) : "";
  if (values.key !== undefined) {
    if (key.length < 16 || key.length > 1024) fail("a key must be 16 to 1024 characters long");
    if (key === DEV_API_KEY) fail("that is the development key from the README: anyone can read it");
    const bits = estimateKeyBits(key);
    if (bits < MIN_REGISTERED_KEY_BITS) {
      fail(
        `that key is too easy to guess: its estimated strength is ${Math.floor(bits)} bits, at least ${MIN_REGISTERED_KEY_BITS} are needed (omit --key to get a generated one)`,
      );
    }
    if (/[^A-Za-z0-9]/.test(key)) {
      console.error(
        "note: the Token2 WordPress plugin deletes every character but A-Z, a-z and 0-9 from the key it saves, so it cannot use this key",
      );
    }
  }
  if (values.label.length > 100) fail("a label must be at most 100 characters long");
  const revokeId = Number(rest[0]);
  if (command === "revoke" && (!Number.isInteger(revokeId) || revokeId <= 0)) fail("revoke needs the key's numeric id (see `list`)");

  try {
    // The local D1 may be brand new; the remote one is migrated by the deploy steps in the README.
    if (!values.remote) applyMigrations(target);
    switch (command) {
      case "create": {
        const id = await createKey(values.label, key, target);
        console.log(`Created API key ${id}${values.label ? ` (${values.label})` : ""}. It is shown only now:\n${key}`);
        break;
      }
      case "list": {
        const rows = execute<ApiKeyListRow>(inlineSql(listKeysById(db)), target);
        if (rows.length === 0) console.log("No API keys: every request is refused with 'invalid api key'.");
        for (const row of rows) {
          const created = new Date(row.created_at * 1000).toISOString();
          const state = row.revoked_at ? `revoked ${new Date(row.revoked_at * 1000).toISOString()}` : "active";
          console.log(`${row.id}\t${row.label || "-"}\tcreated ${created}\t${state}`);
        }
        break;
      }
      case "revoke": {
        if (!revokeKey(revokeId, target)) fail(`no active API key with id ${revokeId}`);
        console.log(`Revoked API key ${revokeId}.`);
        break;
      }
    }
  } catch (error) {
    if (/UNIQUE constraint/.test(messageOf(error))) fail("that key is already registered");
    console.error(messageOf(error));
    process.exit(1);
  }
}

runIfEntryPoint(import.meta.url, main);
