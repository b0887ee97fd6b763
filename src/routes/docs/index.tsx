import { bytesToBase64, utf8 } from "../../crypto/encoding";
import { CURL_KEY_VARIABLE, CURL_URL_VARIABLE } from "../../openapi/curl";
import { API_VERSION } from "../../openapi/document";
import { openApiPath, type RouteSpec } from "../../openapi/spec";
import { DOCS_PATH } from "../root";
import type { Route } from "../route";
import { ErrorsSection, Prose, RouteSection } from "./sections";
import { DOCS_STYLE } from "./style";

/** The page: its own stylesheet (wider tables than the console's), the routes, the errors. */
function DocsPage({ routes }: { routes: readonly RouteSpec[] }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <title>totp-edge API</title>
        <style dangerouslySetInnerHTML={{ __html: DOCS_STYLE }} />
      </head>
      <body>
        <h1>
          totp-edge API <small>{API_VERSION}</small>
        </h1>
        <p>
          A Token2 TOTPRadius-compatible two-factor authentication API. Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI
          3.1).
        </p>
        <p>The examples read the server's address and an API key from two shell variables:</p>
        <pre class="shell">{`${CURL_URL_VARIABLE}=https://totp.example.com\n${CURL_KEY_VARIABLE}=your-api-key`}</pre>
        <ul>
          {routes.map((r) => (
            <li>
              <a href={`#${r.id}`}>
                <code>{openApiPath(r)}</code>
              </a>
              : <Prose text={r.summary} />
            </li>
          ))}
          <li>
            <a href="#errors">Errors</a>
          </li>
        </ul>
        {routes.map((route) => (
          <RouteSection route={route} />
        ))}
        <ErrorsSection routes={routes} />
      </body>
    </html>
  );
}

async function buildPage(routes: readonly RouteSpec[]): Promise<{ html: string; csp: string }> {
  const html = `<!doctype html>${await (<DocsPage routes={routes} />)}`;
  // No script at all, and only this exact stylesheet: the page needs nothing else.
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8.encode(DOCS_STYLE)));
  const csp = [
    "default-src 'none'",
    `style-src 'sha256-${bytesToBase64(digest)}'`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  return { html, csp };
}

/** GET /docs: the API described in HTML, from the same route list as /openapi.json. */
export function docsRoute(routes: () => readonly RouteSpec[]): Route {
  // Built once per isolate: it depends only on the route list.
  let page: { html: string; csp: string } | undefined;
  return {
    id: "docs",
    honoPath: DOCS_PATH,
    methods: ["GET"],
    summary: "This document as a web page",
    description: "Endpoints, parameters, formats and error codes, as HTML.",
    apiKey: false,
    params: [],
    answer: { kind: "html" },
    examples: [{ params: {} }],
    async handler() {
      page ??= await buildPage(routes());
      return new Response(page.html, {
        headers: {
          "Content-Type": "text/html; charset=utf-8",
          "Content-Security-Policy": page.csp,
          "Referrer-Policy": "no-referrer",
          "Cache-Control": "public, max-age=300",
        },
      });
    },
  };
}
