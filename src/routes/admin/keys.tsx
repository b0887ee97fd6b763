import { When } from "../../web/when";
import { parseRowId } from "../../http/row-id";
import { type Context, Hono } from "hono";
import type { AppEnv } from "../../app-env";
import { KEY_USE_RESOLUTION_S } from "../../db/api-keys";
import { checkKeyLabel, createKey, findKey, KEY_LABEL_MAX, type KeyListing, keyListing, revokeKey } from "../../domain/console-keys";
import type { Session } from "../../domain/sessions";
import { readForm } from "../../web/forms";
import { CsrfField, Flash } from "../../web/page";
import { renderPage } from "../../web/render";
import { AdminPage } from "./layout";
import { ADMIN_PATHS } from "./paths";

/** The API keys page: create (the key is shown once), list with last use, revoke after a confirmation. */
export const keyPages = new Hono<AppEnv>();

export const KEY_PATHS = {
  confirmRevoke: (id: number) => `${ADMIN_PATHS.keys}/${id}/confirm-revoke`,
  revoke: (id: number) => `${ADMIN_PATHS.keys}/${id}/revoke`,
} as const;

export const KEY_TEXTS = {
  showOnce: "Copy it now; it will not be shown again.",
  showOnceWhy: "Only its SHA-256 fingerprint is stored. If it is lost, create a new key and revoke this one.",
  revoked: (name: string) => `${name} is revoked: the API refuses it from now on.`,
  alreadyRevoked: (name: string) => `${name} was already revoked.`,
  notFound: "There is no API key with that number.",
  noKeys: "No API keys yet: the API refuses every request until one is created.",
  neverUsed: "never",
} as const;

const keyName = (key: Pick<KeyListing, "id" | "label">) => `Key ${key.id}${key.label ? ` (${key.label})` : ""}`;

const BackToKeys = () => (
  <p>
    <a href={ADMIN_PATHS.keys}>Back to API keys</a>
  </p>
);

/** The key check records a use only when the last record is older than KEY_USE_RESOLUTION_S, so this is as exact as it gets. */
function LastUsed({ seconds }: { seconds: number | null }) {
  if (seconds === null) return <>{KEY_TEXTS.neverUsed}</>;
  return (
    <>
      within {KEY_USE_RESOLUTION_S / 60} min of <When ms={seconds * 1000} />
    </>
  );
}

function KeyTable({ keys }: { keys: KeyListing[] }) {
  if (keys.length === 0) return <p>{KEY_TEXTS.noKeys}</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Key</th>
          <th>Created</th>
          <th>Last used</th>
          <th>State</th>
        </tr>
      </thead>
      <tbody>
        {keys.map((key) => (
          <tr>
            {/* Number and label in one cell: a column of short numbers is squeezed to one digit's width beside long labels. */}
            <td data-label="Key">{keyName(key)}</td>
            <td data-label="Created">
              <When ms={key.createdAt * 1000} />
            </td>
            <td data-label="Last used">
              <LastUsed seconds={key.lastUsedAt} />
            </td>
            <td data-label="State">
              {key.revokedAt === null ? (
                <>
                  active · <a href={KEY_PATHS.confirmRevoke(key.id)}>Revoke…</a>
                </>
              ) : (
                <>
                  revoked <When ms={key.revokedAt * 1000} />
                </>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

interface ListProps {
  session: Session;
  keys: KeyListing[];
  notice?: string;
  /** A refused label: shown again in the form with the reason. */
  label?: string;
  error?: string;
}

function KeyListPage({ session, keys, notice, label, error }: ListProps) {
  return (
    <AdminPage title="API keys" session={session}>
      <Flash kind="notice" text={notice} />
      <p>Relying parties (the WordPress plugin, RADIUS servers, your own code) send one of these keys with every API request.</p>
      <KeyTable keys={keys} />
      <h2>Create a key</h2>
      <form method="post" action={ADMIN_PATHS.keys}>
        <CsrfField token={session.csrfToken} />
        <Flash kind="error" text={error} />
        <label for="key-label">Label</label>
        <input
          id="key-label"
          name="label"
          type="text"
          required
          maxlength={KEY_LABEL_MAX}
          value={label ?? ""}
          aria-describedby="key-label-hint"
        />
        <p id="key-label-hint" class="muted">
          What will use the key, e.g. “wordpress” (up to {KEY_LABEL_MAX} characters). The key itself is generated: 32 letters and digits.
        </p>
        <button type="submit">Create key</button>
      </form>
    </AdminPage>
  );
}

// Not `key`: JSX keeps that prop name for itself.
function KeyCreatedPage({ session, apiKey, listing }: { session: Session; apiKey: string; listing: KeyListing }) {
  return (
    <AdminPage title="API key created" session={session}>
      <p>{keyName(listing)} is active. Its key:</p>
      <p class="secret">{apiKey}</p>
      <p class="notice" role="status">
        <strong>{KEY_TEXTS.showOnce}</strong> {KEY_TEXTS.showOnceWhy}
      </p>
      <BackToKeys />
    </AdminPage>
  );
}

function ConfirmRevokePage({ session, keyRow }: { session: Session; keyRow: KeyListing }) {
  const name = keyName(keyRow);
  if (keyRow.revokedAt !== null) {
    return (
      <AdminPage title={`Revoke key ${keyRow.id}`} session={session}>
        <Flash kind="notice" text={KEY_TEXTS.alreadyRevoked(name)} />
        <BackToKeys />
      </AdminPage>
    );
  }
  return (
    <AdminPage title={`Revoke key ${keyRow.id}?`} session={session}>
      <p>
        {name}: every API request with it is refused from the moment you confirm. This cannot be undone; a relying party that uses it needs
        a new key.
      </p>
      <form method="post" action={KEY_PATHS.revoke(keyRow.id)}>
        <CsrfField token={session.csrfToken} />
        <button type="submit" class="danger">
          Revoke key {keyRow.id}
        </button>
        <a href={ADMIN_PATHS.keys}>Cancel</a>
      </form>
    </AdminPage>
  );
}

function NotFoundPage({ session }: { session: Session }) {
  return (
    <AdminPage title="No such API key" session={session}>
      <Flash kind="error" text={KEY_TEXTS.notFound} />
      <BackToKeys />
    </AdminPage>
  );
}

/** A key id from the path, or null (a 404 page, never a 500). */
const keyIdParam = (c: Context<AppEnv>) => parseRowId(c.req.param("id"));

keyPages.get("/", async (c) => {
  return renderPage(c, <KeyListPage session={c.var.session!} keys={await keyListing(c.var.deps)} />);
});

keyPages.post("/", async (c) => {
  const session = c.var.session!;
  const form = await readForm(c, session);
  const check = checkKeyLabel(form.get("label"));
  if (!check.ok) {
    const keys = await keyListing(c.var.deps);
    return renderPage(c, <KeyListPage session={session} keys={keys} label={form.get("label")} error={check.error} />, 400);
  }
  const { key, listing } = await createKey(c.var.deps, session.subjectName, check.label);
  return renderPage(c, <KeyCreatedPage session={session} apiKey={key} listing={listing} />);
});

keyPages.get("/:id/confirm-revoke", async (c) => {
  const session = c.var.session!;
  const id = keyIdParam(c);
  const keyRow = id === null ? null : await findKey(c.var.deps, id);
  if (!keyRow) return renderPage(c, <NotFoundPage session={session} />, 404);
  return renderPage(c, <ConfirmRevokePage session={session} keyRow={keyRow} />);
});

keyPages.post("/:id/revoke", async (c) => {
  const session = c.var.session!;
  await readForm(c, session);
  const id = keyIdParam(c);
  const result = id === null ? ({ outcome: "not-found" } as const) : await revokeKey(c.var.deps, session.subjectName, id);
  if (result.outcome === "not-found") return renderPage(c, <NotFoundPage session={session} />, 404);
  const name = keyName(result.key);
  const notice = result.outcome === "revoked" ? KEY_TEXTS.revoked(name) : KEY_TEXTS.alreadyRevoked(name);
  return renderPage(c, <KeyListPage session={session} keys={await keyListing(c.var.deps)} notice={notice} />);
});
