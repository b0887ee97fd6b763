/** Where the console's pages are: every link and redirect of the console is built from these. */
export const ADMIN_PATHS = {
  home: "/admin",
  login: "/admin/login",
  logout: "/admin/logout",
  enrol: (token: string) => `/admin/enrol/${token}`,
  users: "/admin/users",
  user: (id: number) => `/admin/users/${id}`,
  usersExport: "/admin/users/export.csv",
  /** Bulk actions: the list's form posts here for the confirmation page, which posts to `bulkDo`. */
  bulk: "/admin/users/bulk",
  bulkDo: "/admin/users/bulk/do",
  onboard: "/admin/users/onboard",
  onboardDo: "/admin/users/onboard/do",
  keys: "/admin/keys",
  audit: "/admin/audit",
  webhooks: "/admin/webhooks",
  webhook: (id: string) => `/admin/webhooks/${id}`,
  admins: "/admin/admins",
  settings: "/admin/settings",
} as const;
