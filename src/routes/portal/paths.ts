/** Where the portal's pages are: every link, form action and redirect of the portal is built from these. */
export const PORTAL_PATHS = {
  home: "/portal",
  login: "/portal/login",
  confirm: "/portal/confirm",
  logout: "/portal/logout",
} as const;
