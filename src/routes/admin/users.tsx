import { parseRowId } from "../../http/row-id";
import { type Context, Hono } from "hono";
import type { AppEnv } from "../../app-env";
import {
  type ActionOutcome,
  deleteUser,
  passwordLongEnough,
  resetUserSecret,
  setUserPassword,
  unlockUser,
  userDetails,
} from "../../domain/console-users";
import { assignHardwareToken } from "../../domain/hardware-tokens";
import { MIN_PASSWORD_CHARS } from "../../domain/local-users";
import { revokeRecoveryCodes } from "../../domain/recovery-codes";
import { type ResyncOutcome, resyncUser } from "../../domain/resync";
import { readForm } from "../../web/forms";
import { renderPage } from "../../web/render";
import { ADMIN_PATHS } from "./paths";
import type { Notice } from "../../web/page";
import { searchText, searchUsers } from "../../domain/user-search";
import { ConfirmActionPage, isUserAction, type UserActionSlug } from "./users-actions";
import { listState, UserListPage } from "./users-list";
import { NewSecretPage, UserDetailPage, UserNotFoundPage } from "./users-views";

/** Every message the users pages show after an action or for a bad request (`?done=` names one). */
const NOTICES = {
  unlocked: { kind: "notice", text: "Unlocked: the user's codes and portal password are accepted again." },
  "password-set": { kind: "notice", text: "The local password was set. The user's portal sessions were ended and the portal lock lifted." },
  deleted: { kind: "notice", text: "The user was deleted." },
  "already-deleted": { kind: "notice", text: "That user was already deleted; nothing was done." },
  "already-reset": {
    kind: "error",
    text: "The secret was already reset since you confirmed (by a second submission or another admin); nothing was done. Reset again if the user needs a key shown.",
  },
  changed: {
    kind: "error",
    text: "The user's secret was reset since you confirmed the deletion; nothing was deleted. Review the user and confirm again.",
  },
  missing: { kind: "error", text: "That user no longer exists; nothing was done." },
  "bad-search": { kind: "error", text: "Search for at most 255 characters, without control characters." },
  "bad-cursor": { kind: "error", text: "That page link is not valid (it may be from another search). Showing the first page." },
  "password-short": { kind: "error", text: `The password is too short (at least ${MIN_PASSWORD_CHARS} characters): nothing was changed.` },
  "codes-revoked": { kind: "notice", text: "The user's recovery codes were revoked: none of them works any more." },
  "token-assigned": { kind: "notice", text: "The hardware token was assigned: its codes are the user's from now on." },
  "token-changed": {
    kind: "error",
    text: "The user's secret changed since you confirmed (a reset or another assignment); nothing was done. Review the user and try again.",
  },
  "no-token": { kind: "error", text: "No token with that serial waits in the inventory: nothing was changed." },
  resynced: { kind: "notice", text: "Resynced: the token's codes are accepted around its own clock from now on (see Clock drift)." },
  "resync-changed": {
    kind: "error",
    text: "The user was changed while the codes were checked (a reset, a lock or another resync); nothing was done. Review the user and try again.",
  },
} as const satisfies Record<string, Notice>;

/** Why a resync did nothing, shown on its form again (the codes were not accepted). */
function resyncRefusal(outcome: Exclude<ResyncOutcome, { kind: "done" | "missing" | "changed" }>): Notice {
  switch (outcome.kind) {
    case "malformed":
      return { kind: "error", text: `Enter two codes of ${outcome.digits} digits each: nothing was checked.` };
    case "wrong":
      return {
        kind: "error",
        text: "Those two codes are not consecutive codes of this user's token near the current time. This counted as one failed attempt.",
      };
    case "used":
      return {
        kind: "error",
        text: "Those codes are not later than a code already accepted: they cannot be accepted again. Ask for two new codes.",
      };
    case "locked":
      return { kind: "error", text: `The user is locked for ${outcome.retrySeconds} s more: unlock them first. Nothing was checked.` };
  }
}

type NoticeCode = keyof typeof NOTICES;

function noticeOf(code: string | undefined): Notice | undefined {
  return code !== undefined && Object.hasOwn(NOTICES, code) ? NOTICES[code as NoticeCode] : undefined;
}

const redirectTo = (c: Context<AppEnv>, path: string, done: NoticeCode) => c.redirect(`${path}?done=${done}`, 303);

export const userPages = new Hono<AppEnv>();

userPages.get("/", async (c) => {
  const session = c.var.session!;
  const deps = c.var.deps;
  const text = searchText(c.req.query("q") ?? "");
  const state = listState(c, text ?? "");
  const view = { session, nowMs: deps.now(), state };
  if (text === null) return renderPage(c, <UserListPage {...view} paged={false} rows={[]} notice={NOTICES["bad-search"]} />, 400);
  const after = c.req.query("after");
  const search = { text, filters: state.filters, order: state.order };
  const page = await searchUsers(deps, { ...search, after });
  if (page === null) {
    const first = (await searchUsers(deps, search))!;
    return renderPage(c, <UserListPage {...view} paged={false} {...first} notice={NOTICES["bad-cursor"]} />, 400);
  }
  const notice = noticeOf(c.req.query("done"));
  return renderPage(c, <UserListPage {...view} paged={after !== undefined} {...page} notice={notice} />);
});

userPages.get("/:id", async (c) => {
  const session = c.var.session!;
  const id = parseRowId(c.req.param("id"));
  const user = id === null ? null : await userDetails(c.var.deps, id);
  if (!user) return renderPage(c, <UserNotFoundPage session={session} />, 404);
  const notice = noticeOf(c.req.query("done"));
  return renderPage(c, <UserDetailPage session={session} user={user} nowMs={c.var.deps.now()} notice={notice} />);
});

userPages.get("/:id/confirm/:action", async (c) => {
  const session = c.var.session!;
  const id = parseRowId(c.req.param("id"));
  const slug = c.req.param("action");
  const user = id === null || !isUserAction(slug) ? null : await userDetails(c.var.deps, id);
  if (!user || !isUserAction(slug)) return renderPage(c, <UserNotFoundPage session={session} />, 404);
  return renderPage(c, <ConfirmActionPage session={session} user={user} slug={slug} />);
});

userPages.post("/:id/:action", async (c) => {
  const session = c.var.session!;
  const id = parseRowId(c.req.param("id"));
  const slug = c.req.param("action");
  if (id === null || !isUserAction(slug)) return renderPage(c, <UserNotFoundPage session={session} />, 404);
  const form = await readForm(c, session);
  return performAction(c, id, slug, form.get.bind(form));
});

async function performAction(c: Context<AppEnv>, id: number, slug: UserActionSlug, field: (name: string) => string) {
  const deps = c.var.deps;
  const session = c.var.session!;
  const actor = session.subjectName;
  const detail = ADMIN_PATHS.user(id);
  const afterAction = (outcome: ActionOutcome, done: NoticeCode, stale: NoticeCode = "changed") =>
    redirectTo(c, outcome === "missing" ? ADMIN_PATHS.users : detail, outcome === "done" ? done : outcome === "stale" ? stale : "missing");
  switch (slug) {
    case "unlock":
      return afterAction(await unlockUser(deps, actor, id), "unlocked");
    case "set-password": {
      const password = field("password");
      if (!passwordLongEnough(password)) {
        const user = await userDetails(deps, id);
        if (!user) return redirectTo(c, ADMIN_PATHS.users, "missing");
        return renderPage(c, <ConfirmActionPage session={session} user={user} slug={slug} notice={NOTICES["password-short"]} />, 400);
      }
      return afterAction(await setUserPassword(deps, actor, id, password), "password-set");
    }
    case "delete": {
      const outcome = await deleteUser(deps, actor, id, field("version"));
      if (outcome === "stale") return redirectTo(c, detail, "changed");
      return redirectTo(c, ADMIN_PATHS.users, outcome === "done" ? "deleted" : "already-deleted");
    }
    case "resync": {
      const outcome = await resyncUser(deps, actor, id, [field("code1"), field("code2")]);
      if (outcome.kind === "done") return redirectTo(c, detail, "resynced");
      if (outcome.kind === "missing") return redirectTo(c, ADMIN_PATHS.users, "missing");
      if (outcome.kind === "changed") return redirectTo(c, detail, "resync-changed");
      const user = await userDetails(deps, id);
      if (!user) return redirectTo(c, ADMIN_PATHS.users, "missing");
      return renderPage(c, <ConfirmActionPage session={session} user={user} slug={slug} notice={resyncRefusal(outcome)} />, 400);
    }
    case "revoke-recovery-codes": {
      const user = await userDetails(deps, id);
      if (!user) return redirectTo(c, ADMIN_PATHS.users, "missing");
      await revokeRecoveryCodes(deps, actor, user);
      return redirectTo(c, detail, "codes-revoked");
    }
    case "assign-token": {
      const outcome = await assignHardwareToken(deps, actor, id, field("version"), field("serial").trim());
      if (outcome !== "no-token") return afterAction(outcome, "token-assigned", "token-changed");
      const user = await userDetails(deps, id);
      if (!user) return redirectTo(c, ADMIN_PATHS.users, "missing");
      return renderPage(c, <ConfirmActionPage session={session} user={user} slug={slug} notice={NOTICES["no-token"]} />, 400);
    }
    case "reset-secret": {
      const result = await resetUserSecret(deps, actor, id, field("version"));
      if (result.outcome !== "done") return afterAction(result.outcome, "already-reset", "already-reset");
      return renderPage(
        c,
        <NewSecretPage
          session={session}
          id={id}
          username={result.username}
          secret={result.secret}
          uri={result.uri}
          qrSize={deps.config.qrSize}
        />,
      );
    }
  }
}
