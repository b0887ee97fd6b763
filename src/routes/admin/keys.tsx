import { Hono } from "hono";
import type { AppEnv } from "../../app-env";

export const keyPages = new Hono<AppEnv>();
