import { Hono } from "hono";
import type { AppEnv } from "../../app-env";

export const authPages = new Hono<AppEnv>();
