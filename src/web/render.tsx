import type { Context } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import type { AppEnv } from "../app-env";
import { PAGE_HEADERS } from "./headers";

/** A page answer with the pages' security headers. */
export async function renderPage(
  c: Context<AppEnv>,
  page: JSX.Element,
  status: 200 | 400 | 401 | 403 | 404 | 409 | 429 | 503 = 200,
): Promise<Response> {
  return c.html(`<!doctype html>${await page}`, status, PAGE_HEADERS);
}
