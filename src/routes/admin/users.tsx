import { Hono } from "hono";
import type { AppEnv } from "../../app-env";

export const userPages = new Hono<AppEnv>();
