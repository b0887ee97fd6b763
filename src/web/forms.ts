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
export async function readForm(c: Context<AppEnv>, session?: Session, maxBytes = MAX_FORM_BYTES): Promise<FormFields> {
  const body = await formBody(c, "application/x-www-form-urlencoded", maxBytes);
  const params = new URLSearchParams(new TextDecoder().decode(body));
  checkCsrf(params.get("csrf"), session);
  return { get: (name) => params.get(name) ?? "", getAll: (name) => params.getAll(name) };
}

/** The body of a form post of `type`, at most `maxBytes` (refuseCrossSite refused one from another site already). */
async function formBody(c: Context<AppEnv>, type: string, maxBytes: number): Promise<ArrayBuffer> {
  if (!(c.req.header("content-type") ?? "").toLowerCase().startsWith(type)) throw HttpError.badBody("send the page's form");
  if (Number(c.req.header("content-length") ?? 0) > maxBytes) throw HttpError.tooLarge();
  // As bytes, not c.req.text(): workerd warns about reading a body of this type as text.
  const body = await c.req.arrayBuffer();
  if (body.byteLength > maxBytes) throw HttpError.tooLarge();
  return body;
}

function checkCsrf(token: string | null, session: Session | undefined): void {
  if (session && !constantTimeEqual(utf8.encode(token ?? ""), utf8.encode(session.csrfToken))) throw HttpError.forgedForm();
}

/** A file upload form (multipart/form-data) of a session's page: its text fields, and the text of its file `name`. */
export async function readUpload(
  c: Context<AppEnv>,
  session: Session,
  maxBytes: number,
): Promise<{ file: string; get(name: string): string }> {
  const body = await formBody(c, "multipart/form-data", maxBytes);
  let form: FormData;
  try {
    form = await new Response(body, { headers: { "Content-Type": c.req.header("content-type")! } }).formData();
  } catch {
    throw HttpError.badBody("send the page's form");
  }
  const text = (name: string) => {
    const value = form.get(name);
    return typeof value === "string" ? value : "";
  };
  checkCsrf(text("csrf"), session);
  const file = form.get("file") as unknown;
  return { file: file instanceof Blob ? await file.text() : "", get: text };
}
