import { Hono } from "hono";
import type { AppEnv } from "../../app-env";

/** The self-service enrolment portal, mounted at /portal. */
export const portalPages = new Hono<AppEnv>();
