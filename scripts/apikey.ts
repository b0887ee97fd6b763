// npm run apikey -- create [--label NAME] [--key KEY] | list | revoke ID   [--remote] [--env NAME] [--persist-to DIR]
// Keys are stored only as SHA-256 hashes: `create` prints the key once and never again.
import { estimateKeyBits, generateApiKey, MIN_REGISTERED_KEY_BITS } from "../src/crypto/api-keys";
import { insertApiKeys } from "./lib/api-key-rows";
import { commandLine, D1_TARGET_OPTIONS, d1Target, messageOf, runIfEntryPoint, usageError } from "./lib/cli";
import { applyMigrations, execute } from "./lib/d1";
import { DEV_API_KEY } from "./dev";

const USAGE = `usage: npm run apikey -- <command> [options]
  create [--label NAME] [--key KEY]   make a key (or register an existing one, e.g. an appliance's) and print it once
  list                                show ids, labels, creation and revocation times (never keys)
  revoke ID                           refuse the key with this id from now on
options: --remote (the deployed D1; default: local)  --env NAME (a wrangler.toml environment)  --persist-to DIR (local state folder)`;

type ApiKeyListRow = { id: number; label: string; created_at: number; revoked_at: number | null };

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
        const [id] = await insertApiKeys([{ label: values.label, key }], target);
        console.log(`Created API key ${id}${values.label ? ` (${values.label})` : ""}. It is shown only now:\n${key}`);
        break;
      }
      case "list": {
        const rows = execute<ApiKeyListRow>("SELECT id, label, created_at, revoked_at FROM api_keys ORDER BY id", target);
        if (rows.length === 0) console.log("No API keys: every request is refused with 'invalid api key'.");
        for (const row of rows) {
          const created = new Date(row.created_at * 1000).toISOString();
          const state = row.revoked_at ? `revoked ${new Date(row.revoked_at * 1000).toISOString()}` : "active";
          console.log(`${row.id}\t${row.label || "-"}\tcreated ${created}\t${state}`);
        }
        break;
      }
      case "revoke": {
        const rows = execute(
          `UPDATE api_keys SET revoked_at = unixepoch() WHERE id = ${revokeId} AND revoked_at IS NULL RETURNING id`,
          target,
        );
        if (rows.length === 0) fail(`no active API key with id ${revokeId}`);
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
