// npm run resync -- USER CODE1 CODE2 [--remote] [--env NAME] [--persist-to DIR]
// The console's "Resync…" for operators at a terminal: two consecutive codes of a user's token
// set the drift validate centres its window on. The codes are checked here, with the Worker's
// keyring (a Worker cannot be asked: it has no API for it), and the outcome is written with the
// very statements the console commits (src/domain/resync.ts), audited as actor "cli".
import { type Config, ConfigError, type Env, readConfig } from "../src/config";
import { type Keyring, open } from "../src/crypto/secret-box";
import { tokenParamsOf } from "../src/db/token-params";
import { findResyncUser } from "../src/db/resync";
import { usernameKeys } from "../src/domain/identity";
import { decideResync, resyncBatch } from "../src/domain/resync";
import type { OtpAlgorithm } from "../src/otp/hmac";
import { commandLine, D1_TARGET_OPTIONS, d1Target, messageOf, runIfEntryPoint, usageError } from "./lib/cli";
import { applyMigrations, type D1Target, execute, executeEach, inlineSql, SQL_ONLY_DB } from "./lib/d1";
import { scriptKeyring } from "./lib/import-keyring";
import { wranglerVars } from "./lib/wrangler-config";

const USAGE = `usage: npm run resync -- USER CODE1 CODE2 [options]
  For a token whose clock has drifted: CODE1 and CODE2 are two consecutive codes the user's token
  shows. They are looked for within RESYNC_WINDOW_STEPS steps of now; if found, validate centres
  its window on the token's clock from then on. Wrong codes count as one failed attempt; a locked
  user must be unlocked first (console). The keyring is SECRET_ENCRYPTION_KEYS from this shell
  (for the local D1 also .dev.vars); the settings are the --env's vars in wrangler.toml.
options: --remote (the deployed D1; default: local)  --env NAME (a wrangler.toml environment)  --persist-to DIR (local state folder)`;

type UserRow = {
  id: number;
  username: string;
  username_key: string;
  secret_ciphertext: string;
  secret_key_id: string;
  totp_algorithm: OtpAlgorithm;
  totp_digits: number;
  totp_period: number;
  last_step: number;
  locked_until: number;
};

/** The Worker's settings as wrangler.toml sets them for `env` (its vars). */
async function workerConfig(env: string | undefined): Promise<Config> {
  const vars = await wranglerVars(env);
  return readConfig({ ...vars, DB: undefined as unknown as D1Database } as Env);
}

function findUser(name: string, target: D1Target): UserRow | undefined {
  return execute<UserRow>(inlineSql(findResyncUser(SQL_ONLY_DB, usernameKeys(name))), target)[0];
}

async function resync(row: UserRow, codes: readonly [string, string], keyring: Keyring, config: Config, target: D1Target) {
  const nowMs = Date.now();
  const secret = { sealKeyId: row.secret_key_id, ciphertext: row.secret_ciphertext };
  const user = {
    id: row.id,
    username: row.username,
    secret,
    token: tokenParamsOf({ algorithm: row.totp_algorithm, digits: row.totp_digits, period: row.totp_period }),
    lastStep: row.last_step,
    lockedUntil: row.locked_until,
  };
  const decision = await decideResync(user, () => open(keyring, secret, row.username_key), codes, nowMs, config);
  const statements = resyncBatch(SQL_ONLY_DB, decision, { actor: "cli", user, nowMs }, config.lockout).map(inlineSql);
  const results = statements.length > 0 ? executeEach(statements, target) : [];
  const wrote = (results.at(-1)?.length ?? 0) > 0;
  return { decision, wrote, period: user.token.period };
}

async function main(): Promise<void> {
  const { values, positionals } = commandLine(USAGE, D1_TARGET_OPTIONS);
  const target = d1Target(values);
  if (positionals.length !== 3) usageError(USAGE, "give USER CODE1 CODE2");
  const [name, first, second] = positionals as [string, string, string];
  let config: Config;
  try {
    config = await workerConfig(values.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    usageError(USAGE, `wrangler.toml: ${error.message}`);
  }
  const keyring = await scriptKeyring(values.remote);
  if (typeof keyring === "string") usageError(USAGE, keyring);
  if (!values.remote) applyMigrations(target);
  const row = findUser(name, target);
  if (!row) usageError(USAGE, `no user named ${JSON.stringify(name)}`);
  const { decision, wrote, period } = await resync(row, [first, second], keyring, config, target);
  const who = `${row.username} (user ${row.id})`;
  switch (decision.kind) {
    case "malformed":
      usageError(USAGE, `${who} has ${decision.digits}-digit codes: give two of them. Nothing was checked.`);
      break;
    case "locked":
      console.error(`${who} is locked for ${decision.retrySeconds} s more: unlock them in the console first. Nothing was checked.`);
      process.exit(1);
      break;
    case "used":
      console.error("Those codes are not later than a code already accepted: ask for two new ones. Nothing was changed.");
      process.exit(1);
      break;
    case "wrong":
      console.error(
        wrote
          ? `Those are not two consecutive codes of ${who}'s token within ${config.resyncWindow} steps of now. This counted as one failed attempt.`
          : `${who} was locked or reset meanwhile. Nothing was changed.`,
      );
      process.exit(1);
      break;
    case "accept": {
      if (!wrote) {
        console.error(`${who} was changed meanwhile (a reset, a lock or another code). Nothing was changed.`);
        process.exit(1);
      }
      const drift = decision.acceptance.drift;
      const ahead = drift === 0 ? "in step with the server" : `about ${Math.abs(drift) * period} s ${drift > 0 ? "ahead" : "behind"}`;
      console.log(`Resynced ${who}: drift ${drift > 0 ? "+" : ""}${drift} steps (the token is ${ahead}).`);
    }
  }
}

runIfEntryPoint(import.meta.url, async () => {
  try {
    await main();
  } catch (error) {
    console.error(messageOf(error));
    process.exit(1);
  }
});
