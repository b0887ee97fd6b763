import { Hono } from "hono";
import type { AppEnv } from "../../app-env";
import { MIN_PASSWORD_CHARS } from "../../domain/local-users";
import {
  applyOnboarding,
  MAX_ONBOARD_BYTES,
  MAX_ONBOARD_ROWS,
  type OnboardResult,
  type OnboardRow,
  planOnboarding,
} from "../../domain/onboarding";
import type { Session } from "../../domain/sessions";
import { readForm, readUpload } from "../../web/forms";
import { CsrfField, Flash, type Notice } from "../../web/page";
import { renderPage } from "../../web/render";
import { VisibleName } from "../../web/visible-name";
import { CsvDownload } from "./csv-download";
import { AdminPage } from "./layout";
import { ADMIN_PATHS } from "./paths";

/**
 * Portal passwords for many users from one CSV: upload, one confirmation listing every row (nothing
 * written before it), then the generated passwords shown once. The confirmation carries the file
 * back in a hidden field and it is read again, so a user deleted in between is refused then.
 */
export const onboardPages = new Hono<AppEnv>();

/** The confirmation's form holds the file (URL-encoded it can triple) and the CSRF token. */
const CONFIRM_FORM_BYTES = MAX_ONBOARD_BYTES * 3 + 1024;

onboardPages.get("/onboard", (c) => renderPage(c, <UploadPage session={c.var.session!} />));

onboardPages.post("/onboard", async (c) => {
  const session = c.var.session!;
  const upload = await readUpload(c, session, MAX_ONBOARD_BYTES + 4096);
  const plan = await planOnboarding(c.var.deps, upload.file);
  if ("error" in plan) return renderPage(c, <UploadPage session={session} notice={{ kind: "error", text: plan.error }} />, 400);
  return renderPage(c, <ConfirmPage session={session} rows={plan.rows} csv={upload.file} />);
});

onboardPages.post("/onboard/do", async (c) => {
  const session = c.var.session!;
  const form = await readForm(c, session, CONFIRM_FORM_BYTES);
  const plan = await planOnboarding(c.var.deps, form.get("csv"));
  if ("error" in plan) return renderPage(c, <UploadPage session={session} notice={{ kind: "error", text: plan.error }} />, 400);
  const results = await applyOnboarding(c.var.deps, session.subjectName, plan.rows);
  return renderPage(c, <DonePage session={session} results={results} />);
});

function UploadPage({ session, notice }: { session: Session; notice?: Notice }) {
  return (
    <AdminPage title="Set portal passwords from a CSV" session={session}>
      <Flash kind={notice?.kind ?? "notice"} text={notice?.text} />
      <p>
        {`One user per line: the username (as createuser was given it: a name, email or phone), and optionally a password of at least ${MIN_PASSWORD_CHARS} characters. A user without one gets a generated password, shown once after you confirm. A first line "username" is a header. At most ${MAX_ONBOARD_ROWS} users and ${MAX_ONBOARD_BYTES / 1024} KiB per file.`}
      </p>
      <form method="post" action={ADMIN_PATHS.onboard} enctype="multipart/form-data">
        <CsrfField token={session.csrfToken} />
        <label for="file">CSV file</label>
        <input type="file" id="file" name="file" accept=".csv,text/csv,text/plain" required />
        <div>
          <button type="submit">Review the changes</button>
          <a href={ADMIN_PATHS.users}>Cancel</a>
        </div>
      </form>
    </AdminPage>
  );
}

function ConfirmPage({ session, rows, csv }: { session: Session; rows: OnboardRow[]; csv: string }) {
  const accepted = rows.filter((row) => !row.refusal).length;
  return (
    <AdminPage title={`Set portal passwords: ${accepted} of ${rows.length} rows`} session={session}>
      <p>
        Each user below gets the password from the file, or a generated one. Their portal sessions end and their portal lock is lifted.
        Refused rows change nothing. Nothing has been written yet.
      </p>
      <table>
        <thead>
          <tr>
            <th>Line</th>
            <th>Username</th>
            <th>Userid</th>
            <th>Change</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr>
              <td data-label="Line">{String(row.line)}</td>
              <td data-label="Username">
                <VisibleName name={row.user?.username ?? row.name} />
              </td>
              <td data-label="Userid">{row.user ? String(row.user.id) : ""}</td>
              <td data-label="Change">
                {row.refusal ? `refused: ${row.refusal}` : row.password === undefined ? "password generated" : "password from the file"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form method="post" action={ADMIN_PATHS.onboardDo}>
        <CsrfField token={session.csrfToken} />
        <input type="hidden" name="csv" value={csv} />
        <div>
          <button type="submit" disabled={accepted === 0}>{`Yes, set ${accepted} ${accepted === 1 ? "password" : "passwords"}`}</button>
          <a href={ADMIN_PATHS.users}>Cancel</a>
        </div>
      </form>
    </AdminPage>
  );
}

function DonePage({ session, results }: { session: Session; results: OnboardResult[] }) {
  const generated = results.filter((r) => r.generated !== undefined);
  const done = results.filter((r) => r.outcome === "done").length;
  return (
    <AdminPage title={`Portal passwords set for ${done} ${done === 1 ? "user" : "users"}`} session={session}>
      {generated.length > 0 ? (
        <>
          <p class="notice" role="status">
            The generated passwords are shown only now and are kept nowhere in plain: download them and hand each to its user.
          </p>
          <CsvDownload
            filename="portal-passwords.csv"
            label="Download the generated passwords (CSV)"
            rows={[["userid", "username", "password"], ...generated.map((r) => [String(r.id), r.username, r.generated!])]}
          />
        </>
      ) : null}
      <table>
        <thead>
          <tr>
            <th>Userid</th>
            <th>Username</th>
            <th>Password</th>
          </tr>
        </thead>
        <tbody>
          {results.map((r) => (
            <tr>
              <td data-label="Userid">{String(r.id)}</td>
              <td data-label="Username">
                <VisibleName name={r.username} />
              </td>
              <td data-label="Password" class={r.generated ? "secret" : undefined}>
                {r.outcome !== "done" ? "not set: the user no longer exists" : (r.generated ?? "as in the file")}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <a href={ADMIN_PATHS.users}>All users</a>
      </p>
    </AdminPage>
  );
}
