import { Hono } from "hono";
import type { AppEnv } from "../../app-env";
import { requireSession } from "../../web/session";
import { adminAccountPages } from "./admins";
import { auditPages } from "./audit";
import { authPages } from "./auth";
import { keyPages } from "./keys";
import { ADMIN_PATHS } from "./paths";
import { userPages } from "./users";
import { settingsPages } from "./settings";
import { webhookPages } from "./webhooks";

/**
 * The operator console, mounted at /admin. Login, logout and enrolment are reachable without a
 * session; every other page requires one. Nothing here changes state on GET.
 */
export const adminPages = new Hono<AppEnv>();
adminPages.route("/", authPages);
adminPages.use("*", requireSession("admin", ADMIN_PATHS.login));
adminPages.get("/", (c) => c.redirect(ADMIN_PATHS.users, 302));
adminPages.route("/users", userPages);
adminPages.route("/keys", keyPages);
adminPages.route("/audit", auditPages);
adminPages.route("/webhooks", webhookPages);
adminPages.route("/admins", adminAccountPages);
adminPages.route("/settings", settingsPages);
