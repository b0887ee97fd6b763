import { Hono } from "hono";
import type { AppEnv } from "../../app-env";

export const auditPages = new Hono<AppEnv>();
