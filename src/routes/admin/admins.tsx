import { type Context, Hono } from "hono";
import type { AppEnv } from "../../app-env";
import { adminAccount, adminAccounts, disableAdmin, inviteAdmin, resetAdmin } from "../../domain/admin-accounts";
import { parseAdminName } from "../../domain/admins";
import { parseRowId } from "../../http/row-id";
import { readForm } from "../../web/forms";
import { renderPage } from "../../web/render";
import { ADMIN_ACCOUNT_TEXTS, AdminListPage, ConfirmInvitePage, ConfirmPage, LinkPage, type ListProps } from "./admins-views";

/** Admins in the browser: list, invite (a one-time enrolment link), reset and disable, each after a confirmation. */
export const adminAccountPages = new Hono<AppEnv>();

async function listPage(c: Context<AppEnv>, props: Omit<ListProps, "session" | "accounts" | "now">, status: 200 | 400 | 404 | 409 = 200) {
  const deps = c.var.deps;
  return renderPage(c, <AdminListPage session={c.var.session!} accounts={await adminAccounts(deps)} now={deps.now()} {...props} />, status);
}

adminAccountPages.get("/", (c) => listPage(c, {}));

adminAccountPages.get("/confirm-invite", async (c) => {
  const raw = c.req.query("name") ?? "";
  const name = parseAdminName(raw);
  if (name === null) return listPage(c, { error: ADMIN_ACCOUNT_TEXTS.badName, name: raw }, 400);
  return renderPage(c, <ConfirmInvitePage session={c.var.session!} name={name} />);
});

adminAccountPages.post("/invite", async (c) => {
  const session = c.var.session!;
  const form = await readForm(c, session);
  const outcome = await inviteAdmin(c.var.deps, session.subjectName, form.get("name"));
  if (!outcome.ok) {
    const error = outcome.refusal === "name" ? ADMIN_ACCOUNT_TEXTS.badName : ADMIN_ACCOUNT_TEXTS.exists;
    return listPage(c, { error, name: form.get("name") }, outcome.refusal === "name" ? 400 : 409);
  }
  return renderPage(c, <LinkPage c={c} session={session} title={`Invited ${outcome.link.name}`} link={outcome.link} />);
});

for (const action of ["reset", "disable"] as const) {
  adminAccountPages.get(`/:id/confirm-${action}`, async (c) => {
    const id = parseRowId(c.req.param("id"));
    const account = id === null ? null : await adminAccount(c.var.deps, id);
    if (!account) return listPage(c, { error: ADMIN_ACCOUNT_TEXTS.notFound }, 404);
    return renderPage(c, <ConfirmPage session={c.var.session!} account={account} action={action} />);
  });
}

adminAccountPages.post("/:id/reset", async (c) => {
  const session = c.var.session!;
  await readForm(c, session);
  const id = parseRowId(c.req.param("id"));
  const link = id === null ? null : await resetAdmin(c.var.deps, session.subjectName, id);
  if (!link) return listPage(c, { error: ADMIN_ACCOUNT_TEXTS.notFound }, 404);
  return renderPage(c, <LinkPage c={c} session={session} title={`Reset ${link.name}`} link={link} />);
});

adminAccountPages.post("/:id/disable", async (c) => {
  const session = c.var.session!;
  await readForm(c, session);
  const id = parseRowId(c.req.param("id"));
  const outcome = id === null ? "missing" : await disableAdmin(c.var.deps, { id: session.subjectId, name: session.subjectName }, id);
  if (outcome === "missing") return listPage(c, { error: ADMIN_ACCOUNT_TEXTS.notFound }, 404);
  if (outcome !== "disabled") return listPage(c, { error: ADMIN_ACCOUNT_TEXTS.refused[outcome] }, 409);
  const account = await adminAccount(c.var.deps, id!);
  return listPage(c, { notice: ADMIN_ACCOUNT_TEXTS.disabled(account?.name ?? "") });
});
