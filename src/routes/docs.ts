import { ERROR_CATALOGUE, FORMATS, apiPhpErrorBody, renderExample, type FieldsAnswer } from "../openapi/answers";
import { UNKNOWN_ACTION_ERRORS } from "../openapi/api-php";
import { CURL_KEY_VARIABLE, CURL_URL_VARIABLE, curlCommand } from "../openapi/curl";
import { API_VERSION } from "../openapi/document";
import { API_KEY_SCHEMES, type ParamSpec } from "../openapi/parameters";
import { type ApiPhpActionSpec, openApiPath, pathParams, type RouteSpec } from "../openapi/spec";
import { DOCS_PATH } from "./root";
import type { Route } from "./route";

// Nothing may make the page wider than the window (a phone is 390 px): long words break, shell
// commands scroll inside their own box, and on a narrow screen each table row becomes a block
// whose cells are labelled with their column's name. Inline code breaks only where it must
// (break-word), so table columns keep room for a whole Content-Type; example bodies break
// anywhere, so their column takes the width that is left.
const STYLE = `
body { font: 15px/1.5 system-ui, sans-serif; color: #222 }
body { max-width: 60rem; margin: 2rem auto; padding: 0 1rem }
h1 small { font-size: .5em; font-weight: normal; color: #666 }
h2 { margin-top: 2.5rem; border-bottom: 1px solid #ddd; overflow-wrap: anywhere }
h3 { font-size: 1rem; margin: 1.25rem 0 .25rem }
code, pre { font: 13px/1.45 ui-monospace, monospace; background: #f4f4f4 }
code { overflow-wrap: break-word }
pre { padding: .5rem; margin: .5rem 0; white-space: pre-wrap; overflow-wrap: anywhere }
pre.shell { white-space: pre; overflow-x: auto }
td pre { margin: 0; padding: 0 }
.wide { overflow-x: auto }
table { border-collapse: collapse; margin: .5rem 0 }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top }
@media (max-width: 40rem) {
  body { margin: 1rem auto }
  table, tbody, tr, td { display: block }
  thead { display: none }
  tr { border: 1px solid #ccc; margin: .5rem 0; padding: .25rem 0 }
  td { border: 0; padding: .1rem .5rem }
  td:first-child { font-weight: bold }
  td[data-label]::before { content: attr(data-label) ": "; color: #666 }
  td pre { margin-top: .25rem }
}
`;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
/** The spec texts mark code with backticks; everything else is escaped. */
const prose = (text: string) => escapeHtml(text).replace(/`([^`]+)`/g, "<code>$1</code>");
const code = (text: string) => `<code>${escapeHtml(text)}</code>`;
type Row = string[];
/**
 * A table whose cells carry their column's name: on a narrow screen each row becomes a block and
 * the names, shown by the stylesheet, stand in for the hidden header.
 */
function table(head: string[], rows: Row[]): string {
  const cell = (text: string, i: number) => (i ? `<td data-label="${escapeHtml(head[i]!)}">${text}</td>` : `<td>${text}</td>`);
  return [
    `<div class="wide"><table>`,
    `<thead><tr>${head.map((name) => `<th>${name}</th>`).join("")}</tr></thead>`,
    `<tbody>`,
    ...rows.map((cells) => `<tr>${cells.map(cell).join("")}</tr>`),
    `</tbody></table></div>`,
  ].join("\n");
}

/** The key's three spellings are one parameter: a request needs one of them. */
function apiKeyRow(): Row {
  const { api_key: apiKey, api, header } = API_KEY_SCHEMES;
  return [
    `one of: ${code(apiKey.name)} / ${code(api.name)} (query or body) or ${code(header.name)} (header)`,
    "query, body or header; required",
    `The API key. ${code(api.name)} is the name the Token2 WordPress plugin and the WSO2 connector use.`,
  ];
}

function paramsTable(route: RouteSpec): string {
  // A POST route reads every query parameter from a form body as well.
  const post = route.methods.includes("POST");
  const where = (p: ParamSpec) => (p.in === "query" && post ? "query or body" : p.in);
  const rows = [...pathParams(route), ...route.params].map((p) => [
    code(p.name),
    `${where(p)}${p.required ? ", required" : ""}`,
    prose(p.description),
  ]);
  if (route.apiKey) rows.unshift(apiKeyRow());
  return rows.length ? table(["parameter", "where", "meaning"], rows) : "<p>No parameters.</p>";
}

function fieldsAnswer(answer: FieldsAnswer): string {
  const rows = FORMATS.map((format) => {
    const { body, contentType } = renderExample(answer.success, format, answer.flag);
    return [code(`format=${format}`), code(contentType), `<pre>${escapeHtml(body)}</pre>`];
  });
  const fields = (list: FieldsAnswer["success"]) => list.map((f) => code(f.name)).join(", ");
  return [
    `<p>Success fields, in order: ${fields(answer.success)}.`,
    `Error fields: ${fields(answer.error)} (see <a href="#errors">errors</a>).</p>`,
    table(["format", "Content-Type", "success example"], rows),
  ].join("\n");
}

function apiPhpAnswer(actions: readonly ApiPhpActionSpec[]): string {
  const texts = actions.flatMap(({ name, answers }) => (answers.format === "text" ? [`${code(answers.success)} (${name})`] : []));
  const json = actions.flatMap(({ name, answers }) =>
    answers.format === "json" ? [`${name}:</p>`, `<pre>${escapeHtml(JSON.stringify(answers.success.value))}</pre>`] : [],
  );
  return [`<p>Success: ${texts.join(",\n")}; ${json.join("\n")}`, `<p>Errors: see <a href="#errors-api-php">api.php errors</a>.</p>`].join(
    "\n",
  );
}

function routeSection(route: RouteSpec): string {
  const answer = route.answer;
  const answers = answer.kind === "fields" ? fieldsAnswer(answer.answer) : answer.kind === "api.php" ? apiPhpAnswer(answer.actions) : "";
  return [
    `<section id="${escapeHtml(route.id)}">`,
    `<h2>${route.methods.join(", ")} ${code(openApiPath(route))}</h2>`,
    `<p><b>${prose(route.summary)}.</b> ${prose(route.description)}</p>`,
    paramsTable(route),
    `<h3>Example</h3>`,
    ...route.examples.map((example) => `<pre class="shell">${escapeHtml(curlCommand(route, example))}</pre>`),
    ...(answers ? ["<h3>Answers</h3>", answers] : []),
    `</section>`,
  ].join("\n");
}

/** api.php's error texts, each with the actions that answer it (listusers in JSON). */
function apiPhpErrorRows(actions: readonly ApiPhpActionSpec[]): Row[] {
  const names = new Map<string, string[]>();
  const add = (text: string, action: string) => names.set(text, [...(names.get(text) ?? []), action]);
  for (const { name, answers } of actions) {
    for (const error of answers.errors)
      add(answers.format === "json" ? JSON.stringify({ error: error.text }) : apiPhpErrorBody(error), name);
  }
  for (const error of UNKNOWN_ACTION_ERRORS) add(apiPhpErrorBody(error), "any other or no action");
  return [...names].map(([text, actions]) => [code(text), actions.join(", ")]);
}

function errorsSection(routes: readonly RouteSpec[]): string {
  const actions = routes.flatMap(({ answer }) => (answer.kind === "api.php" ? answer.actions : []));
  const codeRows = Object.values(ERROR_CATALOGUE).map(({ meaning, examples }) => [
    String(examples[0]!.code),
    prose(meaning),
    examples.map((e) => code(e.text)).join(", "),
  ]);
  return [
    `<section id="errors">`,
    `<h2>Errors</h2>`,
    `<p>createuser and validate answer errors with HTTP 200, in the requested format, with`,
    `${code("response")}, ${code("error")} (the same text) and ${code("code")}.`,
    `HTTP 404, 405, 413, 415 and 500 are transport problems, with a plain-text body.</p>`,
    table(["code", "meaning", "response text"], codeRows),
    `<h3 id="errors-api-php">api.php errors</h3>`,
    `<p>Plain text with HTTP 200, no code; listusers always answers JSON.</p>`,
    table(["answer", "action"], apiPhpErrorRows(actions)),
    `</section>`,
  ].join("\n");
}

function body(routes: readonly RouteSpec[]): string {
  const contents = routes.map((r) => `<li><a href="#${escapeHtml(r.id)}">${code(openApiPath(r))}</a>: ${prose(r.summary)}</li>`);
  return [
    `<h1>totp-edge API <small>${API_VERSION}</small></h1>`,
    `<p>A Token2 TOTPRadius-compatible two-factor authentication API.`,
    `Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>`,
    `<p>The examples read the server's address and an API key from two shell variables:</p>`,
    `<pre class="shell">${CURL_URL_VARIABLE}=https://totp.example.com`,
    `${CURL_KEY_VARIABLE}=your-api-key</pre>`,
    `<ul>`,
    ...contents,
    `<li><a href="#errors">Errors</a></li>`,
    `</ul>`,
    ...routes.map(routeSection),
    errorsSection(routes),
  ].join("\n");
}

async function buildPage(routes: readonly RouteSpec[]): Promise<{ html: string; csp: string }> {
  const html = [
    `<!doctype html>`,
    `<html lang="en">`,
    `<head>`,
    `<meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width,initial-scale=1">`,
    `<title>totp-edge API</title>`,
    `<style>${STYLE}</style>`,
    `</head>`,
    `<body>`,
    body(routes),
    `</body>`,
    `</html>`,
  ].join("\n");
  // No script at all, and only this exact stylesheet: the page needs nothing else.
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(STYLE)));
  const styleHash = btoa(String.fromCharCode(...digest));
  const csp = [
    "default-src 'none'",
    `style-src 'sha256-${styleHash}'`,
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
