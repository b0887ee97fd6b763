import { utcText } from "../../web/when";
import { type Context, Hono } from "hono";
import type { AppEnv } from "../../app-env";
import { EVENT_CATALOGUE } from "../../domain/events";
import type { Session } from "../../domain/sessions";
import * as webhooks from "../../domain/webhooks";
import { readForm } from "../../web/forms";
import { CsrfField, Flash } from "../../web/page";
import { renderPage } from "../../web/render";
import { AdminPage } from "./layout";
import { ADMIN_PATHS } from "./paths";

/** Webhook endpoints (docs/events.md): add with event types, test, rotate, disable, remove; deliveries and redelivery. */
export const webhookPages = new Hono<AppEnv>();

export const WEBHOOK_TEXTS = {
  showOnce: "Copy it now; it will not be shown again. Receivers verify our signatures with it (Standard Webhooks).",
  noEndpoints: "No webhook endpoints yet: events wait for none.",
  notFound: "There is no webhook endpoint with that id.",
  tested: "A webhook.test event is on its way to this endpoint.",
  redelivered: "The event is on its way again, with the same webhook-id.",
  disabled: "The endpoint is disabled: it gets no events from now on.",
  removed: "The endpoint was removed.",
  rotated: (hours: number) => `New secret. For ${hours} hours deliveries carry a signature with the old secret too.`,
} as const;

function ListPage({
  session,
  list,
  notice,
  error,
}: {
  session: Session;
  list: webhooks.EndpointListing[];
  notice?: string;
  error?: string;
}) {
  return (
    <AdminPage title="Webhooks" session={session}>
      <Flash kind="notice" text={notice} />
      <p>Each endpoint gets the events it is subscribed to as signed POSTs (docs/events.md), retried until it answers 2xx.</p>
      {list.length === 0 ? (
        <p>{WEBHOOK_TEXTS.noEndpoints}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Endpoint</th>
              <th>Events</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {list.map((endpoint) => (
              <tr>
                <td data-label="Endpoint">
                  <a href={ADMIN_PATHS.webhook(endpoint.id)}>{endpoint.id}</a> {endpoint.url}
                </td>
                <td data-label="Events">{endpoint.events.join(", ")}</td>
                <td data-label="State">{endpoint.disabledAt === null ? "active" : `disabled ${utcText(endpoint.disabledAt)}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Add an endpoint</h2>
      <form method="post" action={ADMIN_PATHS.webhooks}>
        <CsrfField token={session.csrfToken} />
        <Flash kind="error" text={error} />
        <label for="webhook-url">URL (https://)</label>
        <input id="webhook-url" name="url" type="url" required maxlength={2048} />
        <fieldset>
          <legend>Events</legend>
          {EVENT_CATALOGUE.map((event) => (
            <label>
              <input type="checkbox" name="events" value={event.type} /> {event.type} <span class="muted">({event.when})</span>
            </label>
          ))}
        </fieldset>
        <button type="submit">Add endpoint</button>
      </form>
    </AdminPage>
  );
}

function SecretPage({ session, id, secret, note }: { session: Session; id: string; secret: string; note: string }) {
  return (
    <AdminPage title="Webhook secret" session={session}>
      <p>
        {note} Signing secret of {id}:
      </p>
      <p class="secret">{secret}</p>
      <p class="notice" role="status">
        <strong>{WEBHOOK_TEXTS.showOnce}</strong>
      </p>
      <p>
        <a href={ADMIN_PATHS.webhook(id)}>Back to the endpoint</a>
      </p>
    </AdminPage>
  );
}

interface EndpointProps {
  session: Session;
  endpoint: webhooks.EndpointListing;
  rows: Awaited<ReturnType<typeof webhooks.deliveries>>;
  notice?: string;
}

function Action({ session, id, action, label, danger }: { session: Session; id: string; action: string; label: string; danger?: boolean }) {
  return (
    <form method="post" action={`${ADMIN_PATHS.webhook(id)}/${action}`} class="inline">
      <CsrfField token={session.csrfToken} />
      <button type="submit" class={danger ? "danger" : undefined}>
        {label}
      </button>
    </form>
  );
}

function EndpointPage({ session, endpoint, rows, notice }: EndpointProps) {
  const id = endpoint.id;
  return (
    <AdminPage title={`Webhook ${id}`} session={session}>
      <Flash kind="notice" text={notice} />
      <p>
        {endpoint.url} · {endpoint.events.join(", ")} · {endpoint.disabledAt === null ? "active" : "disabled"}
        {endpoint.previousUntil !== null && endpoint.previousUntil > Date.now()
          ? ` · old secret signs until ${utcText(endpoint.previousUntil)}`
          : ""}
      </p>
      <p>
        <Action session={session} id={id} action="test" label="Send test event" />{" "}
        <Action session={session} id={id} action="rotate" label="Rotate secret" />{" "}
        {endpoint.disabledAt === null && <Action session={session} id={id} action="disable" label="Disable" danger />}{" "}
        <Action session={session} id={id} action="remove" label="Remove" danger />
      </p>
      <h2>Recent deliveries</h2>
      {rows.length === 0 ? (
        <p>None yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Event</th>
              <th>Status</th>
              <th>Attempts</th>
              <th>Last answer</th>
              <th>Last attempt</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr class={`delivery-${row.status}`}>
                <td data-label="Event">
                  {row.type} <span class="muted">{row.eventId}</span>
                </td>
                <td data-label="Status">{row.status}</td>
                <td data-label="Attempts">{row.attempts}</td>
                <td data-label="Last answer">{row.lastStatus === null ? (row.lastError ?? "") : `HTTP ${row.lastStatus}`}</td>
                <td data-label="Last attempt">
                  {utcText(row.updatedAt)}{" "}
                  <form method="post" action={`${ADMIN_PATHS.webhook(id)}/redeliver`} class="inline">
                    <CsrfField token={session.csrfToken} />
                    <input type="hidden" name="event" value={row.eventId} />
                    <button type="submit" class="link-button">
                      Redeliver
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p>
        <a href={ADMIN_PATHS.webhooks}>Back to webhooks</a>
      </p>
    </AdminPage>
  );
}

async function listPage(c: Context<AppEnv>, props: { notice?: string; error?: string } = {}, status: 200 | 400 | 404 = 200) {
  return renderPage(c, <ListPage session={c.var.session!} list={await webhooks.endpoints(c.var.deps)} {...props} />, status);
}

async function endpointPage(c: Context<AppEnv>, notice?: string) {
  const endpoint = await webhooks.endpoint(c.var.deps, c.req.param("id") ?? "");
  if (!endpoint) return listPage(c, { notice: WEBHOOK_TEXTS.notFound }, 404);
  const rows = await webhooks.deliveries(c.var.deps, endpoint.id);
  return renderPage(c, <EndpointPage session={c.var.session!} endpoint={endpoint} rows={rows} notice={notice} />);
}

webhookPages.get("/", (c) => listPage(c));

webhookPages.post("/", async (c) => {
  const session = c.var.session!;
  const form = await readForm(c, session);
  const request = webhooks.checkEndpointRequest(form.get("url"), form.getAll("events"), c.var.deps.webhooks);
  if (!request.ok) return listPage(c, { error: request.error }, 400);
  const { id, secret } = await webhooks.addEndpoint(c.var.deps, session.subjectName, request.url, request.events);
  return renderPage(c, <SecretPage session={session} id={id} secret={secret} note={`Endpoint ${id} added.`} />);
});

webhookPages.get("/:id", (c) => endpointPage(c));

webhookPages.post("/:id/:action", async (c) => {
  const session = c.var.session!;
  const form = await readForm(c, session);
  const { deps } = c.var;
  const id = c.req.param("id");
  const actor = session.subjectName;
  switch (c.req.param("action")) {
    case "test":
      return endpointPage(c, (await webhooks.sendTestEvent(deps, actor, id)) ? WEBHOOK_TEXTS.tested : undefined);
    case "redeliver":
      return endpointPage(c, (await webhooks.redeliver(deps, actor, id, form.get("event"))) ? WEBHOOK_TEXTS.redelivered : undefined);
    case "disable":
      return endpointPage(c, (await webhooks.disableEndpoint(deps, actor, id)) ? WEBHOOK_TEXTS.disabled : undefined);
    case "remove":
      return (await webhooks.removeEndpoint(deps, actor, id)) ? listPage(c, { notice: WEBHOOK_TEXTS.removed }) : endpointPage(c);
    case "rotate": {
      const secret = await webhooks.rotateEndpointSecret(deps, actor, id);
      if (!secret) return endpointPage(c);
      const note = WEBHOOK_TEXTS.rotated(deps.webhooks.rotationGraceMs / 3_600_000);
      return renderPage(c, <SecretPage session={session} id={id} secret={secret} note={note} />);
    }
    default:
      return listPage(c, { notice: WEBHOOK_TEXTS.notFound }, 404);
  }
});
