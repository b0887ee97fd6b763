import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { API_PHP_ANSWERS, ERROR_CATALOGUE, FORMATS, apiPhpErrorText, renderExample, type FieldsAnswer } from "../openapi/answers";
import { API_VERSION } from "../openapi/document";
import { API_KEY_SCHEMES, type ParamSpec } from "../openapi/parameters";
import { ROUTES, openApiPath, pathParams, type RouteSpec } from "../openapi/routes";

const STYLE = "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}code,pre{font:13px ui-monospace,monospace;background:#f4f4f4}pre{padding:.5rem;overflow-x:auto}table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}h2{margin-top:2.5rem;border-bottom:1px solid #ddd}";

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
/** The spec texts mark code with backticks; everything else is escaped. */
const prose = (text: string) => escapeHtml(text).replace(/`([^`]+)`/g, "<code>$1</code>");

function paramsTable(route: RouteSpec): string {
  const keys: ParamSpec[] = route.apiKey
    ? Object.values(API_KEY_SCHEMES).map((s) => ({ name: s.name, in: "query", required: true, description: s.in === "header" ? "header: " + s.description : s.description, schema: {}, example: "" }))
    : [];
  const rows = [...pathParams(route), ...keys, ...route.params].map(
    (p) => `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${p.in}${p.required ? ", required" : ""}</td><td>${prose(p.description)}</td></tr>`,
  );
  return rows.length ? `<table><tr><th>parameter</th><th>where</th><th>meaning</th></tr>${rows.join("")}</table>` : "<p>No parameters.</p>";
}

function answerExamples(answer: FieldsAnswer): string {
  const rows = FORMATS.map((format) => {
    const { body, contentType } = renderExample(answer.success, format, answer.flag);
    return `<tr><td>${format}</td><td><code>${escapeHtml(contentType)}</code></td><td><pre>${escapeHtml(body)}</pre></td></tr>`;
  });
  const fields = (list: FieldsAnswer["success"]) => list.map((f) => `<code>${escapeHtml(f.name)}</code>`).join(", ");
  return `<p>Success fields, in order: ${fields(answer.success)}. Error fields: ${fields(answer.error)}.</p><table><tr><th>format</th><th>Content-Type</th><th>success example</th></tr>${rows.join("")}</table>`;
}

function routeSection(route: RouteSpec): string {
  const extra =
    route.answer.kind === "fields"
      ? answerExamples(route.answer.answer)
      : route.answer.kind === "api.php"
        ? `<p>Answers: ${[API_PHP_ANSWERS.changelocaluserpassword.success, API_PHP_ANSWERS.deletelocaluser.success, ...[...API_PHP_ANSWERS.changelocaluserpassword.errors, ...API_PHP_ANSWERS.deletelocaluser.errors, ...API_PHP_ANSWERS.unknown.errors].map(apiPhpErrorText)].filter((t, i, all) => all.indexOf(t) === i).map((t) => `<code>${escapeHtml(t)}</code>`).join(", ")}.</p><pre>${escapeHtml(JSON.stringify(API_PHP_ANSWERS.listusers.success))}</pre>`
        : "";
  return `<h2 id="${escapeHtml(route.id)}">${route.methods.join(", ")} <code>${escapeHtml(openApiPath(route))}</code></h2><p><b>${prose(route.summary)}.</b> ${prose(route.description)}</p>${paramsTable(route)}${extra}`;
}

function errorsSection(): string {
  const rows = Object.values(ERROR_CATALOGUE).map(
    ({ meaning, examples }) => `<tr><td>${examples[0]!.code}</td><td>${prose(meaning)}</td><td>${examples.map((e) => `<code>${escapeHtml(e.text)}</code>`).join(", ")}</td></tr>`,
  );
  return `<h2 id="errors">Error codes</h2><p>createuser and validate answer errors with HTTP 200, in the requested format, with <code>response</code>, <code>error</code> (the same text) and <code>code</code>. HTTP 404, 405, 413 and 500 are transport problems, with a plain-text body.</p><table><tr><th>code</th><th>meaning</th><th>response text</th></tr>${rows.join("")}</table>`;
}

/** The page, built once per isolate: it depends only on the route table. */
let page: { html: string; csp: string } | undefined;

async function buildPage(): Promise<{ html: string; csp: string }> {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>totp-edge API</title><style>${STYLE}</style></head><body><h1>totp-edge API <small>${API_VERSION}</small></h1><p>A Token2 TOTPRadius-compatible two-factor authentication API. Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p><ul>${ROUTES.map((r) => `<li><a href="#${escapeHtml(r.id)}"><code>${escapeHtml(openApiPath(r))}</code></a>: ${prose(r.summary)}</li>`).join("")}<li><a href="#errors">Error codes</a></li></ul>${ROUTES.map(routeSection).join("")}${errorsSection()}</body></html>`;
  // No script at all, and only this exact stylesheet: the page needs nothing else.
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(STYLE)));
  const styleHash = btoa(String.fromCharCode(...digest));
  const csp = `default-src 'none'; style-src 'sha256-${styleHash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
  return { html, csp };
}

/** GET /docs: the API described in HTML, from the same route table as /openapi.json. */
export async function docs(_c: Context<AppEnv>): Promise<Response> {
  page ??= await buildPage();
  return new Response(page.html, {
    headers: { "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": page.csp, "Referrer-Policy": "no-referrer", "Cache-Control": "public, max-age=300" },
  });
}
