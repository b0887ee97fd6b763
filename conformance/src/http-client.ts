// Sends one expanded request to a target. A captured absolute URL (hashqr) is never followed off
// the target: only its path and query are sent to the target under test.
import type { HttpAnswer } from "./match.js";

export interface ExpandedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  form?: Record<string, string>;
  multipart?: Record<string, string>;
  rawBody?: string;
  contentType?: string;
  headers: Record<string, string>;
}

const REQUEST_TIMEOUT_MS = 15_000;

export class TargetUnreachable extends Error {}

function requestUrl(target: string, request: Pick<ExpandedRequest, "path" | "query">): URL {
  const base = new URL(target);
  const given = new URL(request.path, base);
  const url = new URL(given.pathname + given.search, base.origin);
  // A target with a path prefix (e.g. https://host/totp) keeps it.
  if (base.pathname !== "/" && /^\/(?!\/)/.test(request.path)) url.pathname = base.pathname.replace(/\/$/, "") + given.pathname;
  for (const [name, value] of Object.entries(request.query)) url.searchParams.append(name, value);
  return url;
}

/** What `send` puts on the wire, also what a recording shows of the request. */
export interface PreparedRequest {
  url: URL;
  method: string;
  headers: Headers;
  body?: string | FormData;
}

export function prepareRequest(target: string, request: ExpandedRequest): PreparedRequest {
  const headers = new Headers(request.headers);
  let body: string | FormData | undefined;
  if (request.form) {
    body = new URLSearchParams(request.form).toString();
    headers.set("content-type", "application/x-www-form-urlencoded");
  } else if (request.multipart) {
    // fetch writes the boundary into the Content-Type itself.
    body = new FormData();
    for (const [name, value] of Object.entries(request.multipart)) body.append(name, value);
  } else if (request.rawBody !== undefined) {
    body = request.rawBody;
    headers.set("content-type", request.contentType ?? "application/x-www-form-urlencoded");
  } else if (request.method === "POST") {
    body = "";
  }
  return { url: requestUrl(target, request), method: request.method, headers, body };
}

export function send(target: string, request: ExpandedRequest, signal?: AbortSignal): Promise<HttpAnswer> {
  return sendPrepared(prepareRequest(target, request), signal);
}

export async function sendPrepared({ url, method, headers, body }: PreparedRequest, signal?: AbortSignal): Promise<HttpAnswer> {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body,
      redirect: "manual",
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (error) {
    throw new TargetUnreachable(describeFetchError(url, error));
  }
  try {
    return { status: response.status, headers: response.headers, body: await response.text() };
  } catch (error) {
    throw new TargetUnreachable(`${describeFetchError(url, error)} (while reading the answer)`);
  }
}

function describeFetchError(url: URL, error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? (error as Error).message;
  return `cannot reach ${url.origin}: ${reason}`;
}
