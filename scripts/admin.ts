// npm run admin -- create NAME | list | disable NAME | reset NAME | unlock NAME   [--origin URL] [--remote] [--env NAME] [--persist-to DIR]
// Console admins: `create` and `reset` print a one-time enrolment link (shown once: only its hash is stored).
import { and } from "drizzle-orm";
import {
  adminNamed,
  auditAdminChangeStatement,
  changedJustBefore,
  createAdminStatement,
  disableAdminStatement,
  endAdminSessionsStatement,
  forgetAdminClientsStatement,
  listAdminsStatement,
  resetAdminStatement,
  selectAdminId,
  unlockAdminClientsStatement,
  unlockAdminStatement,
} from "../src/db/admin-commands";
import { actorJson, adminEventStatement } from "../src/db/outbox";
import { ENROLMENT_LINK_MS, parseAdminName } from "../src/domain/admins";
import { newEvent } from "../src/domain/events";
import { tokenHash } from "../src/domain/sessions";
import { commandLine, D1_TARGET_OPTIONS, d1Target, messageOf, runIfEntryPoint, usageError } from "./lib/cli";
import { applyMigrations, type D1Target, execute, executeEach, inlineSql, SQL_ONLY_DB } from "./lib/d1";
import { runningServerOrigin } from "./lib/server-record";
import { wranglerVars } from "./lib/wrangler-config";

const USAGE = `usage: npm run admin -- <command> [options]
  create NAME    add a console admin and print their one-time enrolment link
  list           show admins: enrolled, waiting for enrolment, disabled, locked
  disable NAME   refuse the admin's logins and end their sessions at once
  reset NAME     for a lost password or phone: clear both, end their sessions, enable the admin again, print a new enrolment link
  unlock NAME    lift every lock on the admin's login (their own count and every address's), now
options: --origin URL (the console's address for the link; default: PUBLIC_ORIGIN of the --env in wrangler.toml, or locally the running npm run dev, else http://localhost:$PORT, PORT=8787)
         --remote (the deployed D1; default: local)  --env NAME (a wrangler.toml environment)  --persist-to DIR (local state folder)`;

type AdminListRow = {
  name: string;
  created_at: number;
  enrolled: number;
  enrol_expires_at: number | null;
  disabled_at: number | null;
  locked_until: number;
  locked_clients: number;
};

/** PUBLIC_ORIGIN as set in the vars of a wrangler.toml environment (an empty one counts as unset). */
async function configuredOrigin(env: string | undefined): Promise<string | undefined> {
  return (await wranglerVars(env)).PUBLIC_ORIGIN || undefined;
}

/** --origin, else PUBLIC_ORIGIN, else (locally) the server that serves this D1 now, else where npm run dev would serve. */
async function linkOrigin(values: { origin?: string; remote: boolean; env?: string; "persist-to"?: string }): Promise<string> {
  const local = () => runningServerOrigin(values["persist-to"]) ?? `http://localhost:${process.env.PORT ?? "8787"}`;
  const origin = values.origin ?? (await configuredOrigin(values.env)) ?? (values.remote ? undefined : local());
  if (!origin) fail("where is the console served? pass --origin https://… (or set PUBLIC_ORIGIN for this --env in wrangler.toml)");
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    fail(`--origin must be an address such as https://totp.example.com, got ${JSON.stringify(origin)}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") fail("--origin must be an http(s) address");
  return url.origin;
}

const db = SQL_ONLY_DB;

/** The audit action of each change, and the `change` of its admin.changed event (docs/events.md). */
const ADMIN_CHANGES = {
  "admin.create": "created",
  "admin.reset": "reset",
  "admin.disable": "disabled",
  "admin.unlock": "unlocked",
} as const;
type AdminAction = keyof typeof ADMIN_CHANGES;

/**
 * The change, then its audit entry (actor "cli") and its admin.changed event, in one D1 batch; the
 * entry is written only if the change was, the event only if the entry was (`changes()`, each
 * after the one before it; an event nobody subscribes to is not written, so it comes last), then
 * `more`. Returns the change's result rows.
 */
function changeAdmin(target: D1Target, name: string, change: unknown, action: AdminAction, more: unknown[] = []): unknown[] {
  const head = newEvent({ now: Date.now }, "admin.changed");
  const event = adminEventStatement(db, head, actorJson({ type: "cli" }), ADMIN_CHANGES[action], and(adminNamed(name), changedJustBefore));
  const entry = auditAdminChangeStatement(db, { at: Date.now(), actor: "cli", action, outcome: "ok" }, name);
  return executeEach([change, entry, event, ...more].map(inlineSql), target)[0]!;
}

/** A fresh enrolment link's token: 256 random bits, base64url. */
function newLinkToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}

function printLink(origin: string, token: string, expiresAt: number): void {
  console.log(`Enrolment link (works once, until ${new Date(expiresAt).toISOString()}); it is shown only now:`);
  console.log(`${origin}/admin/enrol/${token}`);
}

function fail(message: string): never {
  usageError(USAGE, message);
}

async function main(): Promise<void> {
  const { values, positionals } = commandLine(USAGE, { origin: { type: "string" }, ...D1_TARGET_OPTIONS });
  const target = d1Target(values);
  const [command, rawName, ...extra] = positionals;
  if (command !== "create" && command !== "list" && command !== "disable" && command !== "reset" && command !== "unlock") {
    fail(command ? `unknown command: ${command}` : "missing command");
  }
  if (extra.length > 0 || (command === "list" && rawName !== undefined)) fail("too many arguments");
  const name = command === "list" ? "" : parseAdminName(rawName ?? "");
  if (name === null) fail("NAME must be 1 to 64 characters: lower-case letters, digits, and . _ @ - (not first)");
  const origin = command === "create" || command === "reset" ? await linkOrigin(values) : "";

  try {
    if (!values.remote) applyMigrations(target);
    const token = newLinkToken();
    const expiresAt = Date.now() + ENROLMENT_LINK_MS;
    const linkHash = await tokenHash(token);
    switch (command) {
      case "create": {
        const created = changeAdmin(target, name, createAdminStatement(db, name, linkHash, expiresAt), "admin.create");
        if (created.length === 0) fail(`an admin named ${name} exists already (npm run admin -- reset ${name} gives them a new link)`);
        console.log(`Created admin ${name}.`);
        printLink(origin, token, expiresAt);
        break;
      }
      case "reset": {
        const reset = changeAdmin(target, name, resetAdminStatement(db, name, linkHash, expiresAt), "admin.reset", [
          endAdminSessionsStatement(db, name),
          forgetAdminClientsStatement(db, name),
        ]);
        if (reset.length === 0) fail(`no admin named ${name}`);
        console.log(`Reset admin ${name}: password and second factor cleared, sessions ended, enabled.`);
        printLink(origin, token, expiresAt);
        break;
      }
      case "disable": {
        const disabled = changeAdmin(target, name, disableAdminStatement(db, name), "admin.disable", [endAdminSessionsStatement(db, name)]);
        if (disabled.length > 0) console.log(`Disabled admin ${name}; their sessions are ended.`);
        else if (execute(inlineSql(selectAdminId(db, name)), target).length > 0) console.log(`Admin ${name} was already disabled.`);
        else fail(`no admin named ${name}`);
        break;
      }
      case "unlock": {
        const unlocked = changeAdmin(target, name, unlockAdminStatement(db, name), "admin.unlock", [unlockAdminClientsStatement(db, name)]);
        if (unlocked.length === 0) fail(`no admin named ${name}`);
        console.log(`Unlocked admin ${name}: their login is open again from every address.`);
        break;
      }
      case "list": {
        const rows = execute<AdminListRow>(inlineSql(listAdminsStatement(db, Date.now())), target);
        if (rows.length === 0) console.log("No admins yet: npm run admin -- create NAME");
        for (const row of rows) console.log(`${row.name}\tcreated ${new Date(row.created_at * 1000).toISOString()}\t${adminState(row)}`);
        break;
      }
    }
  } catch (error) {
    console.error(messageOf(error));
    process.exit(1);
  }
}

function adminState(row: AdminListRow): string {
  const now = Date.now();
  if (row.disabled_at !== null) return `disabled ${new Date(row.disabled_at * 1000).toISOString()}`;
  const parts = [];
  if (row.enrolled) parts.push("enrolled");
  if (row.enrol_expires_at !== null) {
    parts.push(
      row.enrol_expires_at > now ? `enrolment link open until ${new Date(row.enrol_expires_at).toISOString()}` : "enrolment link expired",
    );
  }
  if (row.locked_until > now) parts.push(`login locked until ${new Date(row.locked_until).toISOString()} for new addresses`);
  if (row.locked_clients > 0) parts.push(`${row.locked_clients} address${row.locked_clients === 1 ? "" : "es"} locked out`);
  return parts.join(", ") || "not enrolled";
}

runIfEntryPoint(import.meta.url, main);
