import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { constantTimeEqual, utf8 } from "../crypto/encoding";
import type { Session } from "../domain/sessions";
import { HttpError } from "../errors";

/** The console's and the portal's forms are a few short fields; anything bigger is not ours. */
const MAX_FORM_BYTES = 16 * 1024;

/** The fields of a posted page form: every value a string ("" when absent), the first of repeated names. */
export interface FormFields {
  get(name: string): string;
  /** Every value of a repeated name (checkboxes). */
  getAll(name: string): string[];
}

/** The origin this site's own pages are served from: PUBLIC_ORIGIN when set, else the request's. */
function siteOrigin(c: Context<AppEnv>): string {
  return c.var.deps.config.publicOrigin ?? new URL(c.req.url).origin;
}

/**
 * A request that did not come from this site's own page: browsers send Origin with every form
 * POST, and Sec-Fetch-Site where they do not; a request with neither is not a browser's form.
 */
function crossSite(c: Context<AppEnv>): boolean {
  const origin = c.req.header("origin");
  if (origin !== undefined) return origin !== siteOrigin(c);
  return c.req.header("sec-fetch-site") !== "same-origin";
}

/**
 * Refuses (403) every request to the pages that is not a GET or HEAD and comes from another site,
 * before sessions are even looked at: a forged cross-site post meets the same refusal whether or
 * not the browser would have sent the session cookie.
 */
export const refuseCrossSite: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method !== "GET" && c.req.method !== "HEAD" && crossSite(c)) throw HttpError.forgedForm();
  await next();
};

/**
 * Reads a form POST of a console or portal page, refusing (403, nothing done), under a session, one
 * without that session's CSRF token. One sent from another site never gets here: refuseCrossSite
 * runs before every page (src/index.ts). SameSite=Strict cookies already keep other sites' posts
 * from carrying a session; these checks hold even where a browser or proxy does not honour it.
 */
export async function readForm(c: Context<AppEnv>, session?: Session): Promise<FormFields> {
  const type = c.req.header("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/x-www-form-urlencoded")) throw HttpError.badBody("send the page's form");
  if (Number(c.req.header("content-length") ?? 0) > MAX_FORM_BYTES) throw HttpError.tooLarge();
  // As bytes, not c.req.text(): workerd warns about reading a body of this type as text.
  const body = await c.req.arrayBuffer();
  if (body.byteLength > MAX_FORM_BYTES) throw HttpError.tooLarge();
  const params = new URLSearchParams(new TextDecoder().decode(body));
  if (session && !constantTimeEqual(utf8.encode(params.get("csrf") ?? ""), utf8.encode(session.csrfToken))) {
    throw HttpError.forgedForm();
  }
  return { get: (name) => params.get(name) ?? "", getAll: (name) => params.getAll(name) };
}
