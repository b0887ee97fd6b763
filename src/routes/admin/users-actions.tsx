import type { UserDetails } from "../../domain/console-users";
import { MIN_PASSWORD_CHARS } from "../../domain/local-users";
import type { Session } from "../../domain/sessions";
import { CsrfField, Flash, type Notice } from "../../web/page";
import { visibleText } from "../../web/visible-name";
import { AdminPage } from "./layout";
import { ADMIN_PATHS } from "./paths";

/**
 * The actions on a user, and what their links, confirmation pages and buttons say. Each is a
 * GET link to a confirmation page whose form POSTs the action: no JavaScript needed, nothing done on GET.
 */
export const USER_ACTIONS = {
  unlock: {
    link: "Unlock…",
    title: "Unlock",
    explain:
      "Clears the lock and the failure count of the user's codes and of their portal password. Nothing else changes. Doing it twice does no harm.",
    button: "Yes, unlock",
    danger: false,
    /** Whether the form carries the version of the secret it confirmed (src/domain/console-users.ts, secretVersion). */
    versioned: false,
  },
  "reset-secret": {
    link: "Reset secret…",
    title: "Reset the secret",
    explain:
      "Issues a new secret. The old one stops working at once: codes from the user's authenticator app are refused until they add the new one. The new QR code and key are shown once, on the next page. The user becomes unconfirmed (so the portal lets them enrol again), their code lock is cleared and their portal sessions end.",
    button: "Yes, reset the secret",
    danger: true,
    versioned: true,
  },
  resync: {
    link: "Resync…",
    title: "Resync the token",
    explain:
      "For a token whose clock has drifted (its codes are refused though they are typed at once). Ask the user for two consecutive codes: the first, then the next one the token shows. They are looked for a few minutes before and after now (RESYNC_WINDOW_STEPS); if found, validate centres its window on the token's clock from then on, and both codes are spent. Wrong codes count as one failed attempt; a locked user must be unlocked first.",
    button: "Resync",
    danger: false,
    versioned: false,
  },
  "revoke-recovery-codes": {
    link: "Revoke recovery codes…",
    title: "Revoke the recovery codes",
    explain:
      'Deletes the user\'s recovery codes: none of them works from now on, for "Lost your phone?" in the portal. The user can make a new set in the portal with their password and a code from their app. Their secret does not change.',
    button: "Yes, revoke the codes",
    danger: true,
    versioned: false,
  },
  "set-password": {
    link: "Set local password…",
    title: "Set the local password",
    explain: `Replaces the user's local password (stored only as a PBKDF2 hash). Their portal sessions end and the portal lock is lifted. At least ${MIN_PASSWORD_CHARS} characters.`,
    button: "Yes, set this password",
    danger: false,
    versioned: false,
  },
  "assign-token": {
    link: "Assign hardware token…",
    title: "Assign a hardware token",
    explain:
      "Gives the user a hardware token that waits in the inventory (imported from a PSKC file with npm run import). Its seed replaces the user's secret at once: codes from their authenticator app, or from a token they had before, are refused from then on. The token leaves the inventory; a user holds one token.",
    button: "Yes, assign this token",
    danger: true,
    versioned: true,
  },
  delete: {
    link: "Delete user…",
    title: "Delete the user",
    explain:
      "Deletes the user with their secret, password and counters, and ends their portal sessions. Their codes are refused from then on. This cannot be undone.",
    button: "Yes, delete the user",
    danger: true,
    versioned: true,
  },
} as const;

export type UserActionSlug = keyof typeof USER_ACTIONS;

export function isUserAction(slug: string): slug is UserActionSlug {
  return Object.hasOwn(USER_ACTIONS, slug);
}

/** Where an action's form posts to. */
const userActionPath = (id: number, slug: UserActionSlug) => `${ADMIN_PATHS.user(id)}/${slug}`;
/** The confirmation page of an action (a GET: it only shows the form). */
export const userConfirmPath = (id: number, slug: UserActionSlug) => `${ADMIN_PATHS.user(id)}/confirm/${slug}`;

export interface ConfirmView {
  session: Session;
  user: UserDetails;
  slug: UserActionSlug;
  notice?: Notice;
}

export function ConfirmActionPage({ session, user, slug, notice }: ConfirmView) {
  const spec = USER_ACTIONS[slug];
  return (
    <AdminPage title={`${spec.title}: ${visibleText(user.username)}`} session={session}>
      <Flash kind={notice?.kind ?? "notice"} text={notice?.text} />
      <p>{spec.explain}</p>
      <form method="post" action={userActionPath(user.id, slug)}>
        <CsrfField token={session.csrfToken} />
        {spec.versioned ? <input type="hidden" name="version" value={user.version} /> : null}
        {slug === "set-password" ? (
          <>
            <label for="password">New local password</label>
            <input type="password" id="password" name="password" autocomplete="new-password" minlength={MIN_PASSWORD_CHARS} required />
          </>
        ) : null}
        {slug === "resync" ? <ResyncFields digits={user.token.digits} /> : null}
        {slug === "assign-token" ? (
          <>
            <label for="serial">Serial number of the token (as printed on it)</label>
            <input type="text" id="serial" name="serial" autocomplete="off" maxlength={64} required />
          </>
        ) : null}
        <div>
          <button type="submit" class={spec.danger ? "danger" : undefined}>
            {spec.button}
          </button>
          <a href={ADMIN_PATHS.user(user.id)}>Cancel</a>
        </div>
      </form>
    </AdminPage>
  );
}

/** The two codes of a resync, as the token shows them one after the other. */
function ResyncFields({ digits }: { digits: number }) {
  const field = (name: string) =>
    ({
      name,
      id: name,
      type: "text",
      inputmode: "numeric",
      autocomplete: "off",
      pattern: "[0-9 ]*",
      maxlength: digits + 2,
      required: true,
    }) as const;
  return (
    <>
      <label for="code1">{`First code (${digits} digits)`}</label>
      <input {...field("code1")} />
      <label for="code2">Next code</label>
      <input {...field("code2")} />
    </>
  );
}
