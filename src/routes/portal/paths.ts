/** Where the portal's pages are: every link, form action and redirect of the portal is built from these. */
export const PORTAL_PATHS = {
  home: "/portal",
  login: "/portal/login",
  confirm: "/portal/confirm",
  logout: "/portal/logout",
  /** "Lost your phone?": the password and a recovery code re-enrol (GET: the form). */
  recover: "/portal/recover",
  /** A new set of recovery codes (password and a current code). */
  recoveryCodes: "/portal/recovery-codes",
} as const;
