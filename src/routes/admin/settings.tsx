import { Hono } from "hono";
import type { AppEnv } from "../../app-env";
import { type SettingsReport, settingsReport } from "../../domain/settings-report";
import type { Session } from "../../domain/sessions";
import { renderPage } from "../../web/render";
import { AdminPage } from "./layout";

/** The settings the Worker runs with, read-only: they are changed in wrangler.toml and Worker secrets. */
export const settingsPages = new Hono<AppEnv>();

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

function SettingsPage({ session, report }: { session: Session; report: SettingsReport }) {
  return (
    <AdminPage title="Settings" session={session}>
      <p class="muted">Read-only: settings are vars in wrangler.toml (and Worker secrets); a deploy changes them.</p>
      {report.warnings.map((text) => (
        <p class="warning" role="alert">
          {text}
        </p>
      ))}
      <table>
        <thead>
          <tr>
            <th>Setting</th>
            <th>Value</th>
            <th>Default</th>
            <th>Meaning</th>
          </tr>
        </thead>
        <tbody>
          {report.lines.map((line) => (
            <tr>
              <td data-label="Setting">{line.name}</td>
              <td data-label="Value">{line.value}</td>
              <td data-label="Default">{line.default}</td>
              <td data-label="Meaning">{line.meaning}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Encryption keys</h2>
      <p>
        Key ids in SECRET_ENCRYPTION_KEYS (the first seals new secrets; keys are never shown):{" "}
        <span id="key-ids">{report.keyIds.join(", ")}</span>
      </p>
    </AdminPage>
  );
}

settingsPages.get("/", async (c) => {
  const local = LOCAL_HOSTS.has(new URL(c.req.url).hostname);
  const report = await settingsReport(c.var.deps, c.env, local);
  return renderPage(c, <SettingsPage session={c.var.session!} report={report} />);
});
