// npm run webhook -- add URL --events TYPE,TYPE | list | remove ID | test ID  [--remote] [--env NAME] [--persist-to DIR]
// The console's /admin/webhooks for operators at a terminal. Writes go to D1 with the statements
// the Worker builds (src/db), audited as actor "cli"; a secret is sealed here with the Worker's
// keyring and printed once. A test event waits in the outbox for the Cron Trigger's sweeper:
// a CLI cannot reach the Worker's queue.
import { seal } from "../src/crypto/secret-box";
import { insertAudit } from "../src/db/audit";
import { plainEventStatement } from "../src/db/outbox";
import { deleteEndpointStatement, insertEndpoint, selectEndpoint, selectEndpoints } from "../src/db/webhooks";
import { EVENT_TYPES, newEventId } from "../src/domain/events";
import { checkEndpointRequest, endpointContext, newEndpointId } from "../src/domain/webhooks";
import { newWebhookSecret, secretText } from "../src/events/sign";
import { commandLine, D1_TARGET_OPTIONS, d1Target, runIfEntryPoint, usageError } from "./lib/cli";
import { applyMigrations, type D1Target, execute, executeEach, inlineSql, SQL_ONLY_DB } from "./lib/d1";
import { scriptKeyring } from "./lib/import-keyring";

const USAGE = `usage: npm run webhook -- <command> [options]
  add URL --events TYPE,TYPE   a new endpoint; prints its id and its whsec_ secret (shown once)
  list                         the endpoints: id, state, URL, event types
  remove ID                    deletes an endpoint (its deliveries stay listed)
  test ID                      a webhook.test event for that endpoint, sent by the next sweep
event types: ${EVENT_TYPES.join(", ")} (or "all")
options: --remote (the deployed D1; default: local)  --env NAME  --persist-to DIR
  URLs must be https:// (http://localhost too for the local D1). The keyring (add) is
  SECRET_ENCRYPTION_KEYS from this shell (for the local D1 also .dev.vars).`;

const db = SQL_ONLY_DB;
const audit = (action: string, id: string) =>
  insertAudit(db, { at: Date.now(), actor: "cli", action, target: `webhook ${id}`, outcome: "ok" });

async function add(target: D1Target, url: string, events: string): Promise<void> {
  const types = events === "all" ? [...EVENT_TYPES] : events.split(",").map((type) => type.trim());
  const request = checkEndpointRequest(url, types, { localHttp: !target.remote });
  if (!request.ok) usageError(USAGE, request.error);
  const keyring = await scriptKeyring(target.remote === true);
  if (typeof keyring === "string") throw new Error(keyring);
  const id = newEndpointId();
  const secret = newWebhookSecret();
  const sealed = await seal(keyring, secret, endpointContext(id));
  const row = { id, url: request.url, events: request.events, secret: sealed, createdAt: Date.now() };
  executeEach([inlineSql(insertEndpoint(db, row)), inlineSql(audit("webhook.add", id))], target);
  console.log(`Endpoint ${id} added for ${request.events.join(", ")}.`);
  console.log(`Signing secret (shown once, keep it with the receiver): ${secretText(secret)}`);
}

function list(target: D1Target): void {
  const rows = execute<{ id: string; url: string; events: string; disabled_at: number | null }>(inlineSql(selectEndpoints(db)), target);
  if (rows.length === 0) console.log("No webhook endpoints.");
  for (const row of rows) {
    const types = (JSON.parse(row.events) as string[]).join(",");
    console.log(`${row.id}\t${row.disabled_at === null ? "active" : "disabled"}\t${row.url}\t${types}`);
  }
}

function exists(target: D1Target, id: string): boolean {
  return execute(inlineSql(selectEndpoint(db, id)), target).length > 0;
}

async function main(): Promise<void> {
  const { values, positionals } = commandLine(USAGE, { events: { type: "string" }, ...D1_TARGET_OPTIONS });
  const [command, argument, ...extra] = positionals;
  if (extra.length > 0) usageError(USAGE, "too many arguments");
  const target = d1Target(values);
  if (!target.remote) applyMigrations(target);
  switch (command) {
    case "add":
      if (!argument || !values.events) usageError(USAGE, "add needs a URL and --events");
      return add(target, argument, values.events);
    case "list":
      return list(target);
    case "remove":
    case "test": {
      if (!argument) usageError(USAGE, `${command} needs an endpoint id`);
      if (!exists(target, argument)) throw new Error(`No webhook endpoint ${argument}.`);
      if (command === "remove") {
        executeEach([inlineSql(deleteEndpointStatement(db, argument)), inlineSql(audit("webhook.remove", argument))], target);
        console.log(`Endpoint ${argument} removed.`);
        return;
      }
      const event = { id: newEventId(), type: "webhook.test", at: Date.now() };
      const data = { endpoint_id: argument, actor: { type: "cli" }, outcome: "ok" };
      executeEach([inlineSql(plainEventStatement(db, event, data)), inlineSql(audit("webhook.test", argument))], target);
      console.log(`Test event ${event.id} written: the next sweep (every 5 minutes) sends it to ${argument}.`);
      return;
    }
    default:
      usageError(USAGE, command ? `unknown command: ${command}` : "missing command");
  }
}

runIfEntryPoint(import.meta.url, main);
