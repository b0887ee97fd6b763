import type { Child } from "hono/jsx";

// One stylesheet for every page (console and portal), allowed by its hash in the CSP
// (src/web/headers.ts): no inline style attributes, no external files. Narrow screens (390 px)
// get stacked tables and full-width controls; nothing may be wider than the window.
export const PAGE_STYLE = `
*, *::before, *::after { box-sizing: border-box }
body { font: 15px/1.5 system-ui, sans-serif; color: #222; max-width: 64rem; margin: 0 auto; padding: 0 1rem 2rem }
header { display: flex; flex-wrap: wrap; gap: .5rem 1.25rem; align-items: baseline; border-bottom: 1px solid #ddd; padding: .75rem 0; margin-bottom: 1rem }
header strong { font-size: 1.1rem }
header nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem }
header form { margin-left: auto }
h1 { font-size: 1.4rem; margin: .5rem 0 1rem; overflow-wrap: anywhere }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem }
a { color: #0645ad }
label { display: block; margin: .75rem 0 .25rem; font-weight: 600 }
input[type=text], input[type=password], input[type=search], input:not([type]) { width: 100%; max-width: 24rem; font: inherit; padding: .4rem .5rem; border: 1px solid #999; border-radius: 4px }
input[type=file] { max-width: 100%; font: inherit }
button { font: inherit; padding: .4rem .9rem; border: 1px solid #555; border-radius: 4px; background: #f4f4f4; cursor: pointer; margin: .5rem .5rem .5rem 0 }
button.danger { border-color: #a00; color: #a00 }
.link-button { border: 0; background: none; color: #0645ad; text-decoration: underline; padding: 0; margin: 0 }
.notice { padding: .5rem .75rem; border-radius: 4px; background: #eef6ee; border: 1px solid #9c9 }
.error { padding: .5rem .75rem; border-radius: 4px; background: #fbeaea; border: 1px solid #c99 }
.secret { font: 1.1rem/1.6 ui-monospace, monospace; letter-spacing: .05em; overflow-wrap: anywhere; background: #f4f4f4; padding: .5rem }
.qr { display: block; width: 16rem; max-width: 100%; height: auto; image-rendering: pixelated }
.muted { color: #666 }
.invisible-char { color: #a00; background: #fbeaea; font: .8em ui-monospace, monospace; unicode-bidi: isolate }
.inline { display: inline }
select, input[type=date] { font: inherit; padding: .35rem .4rem; border: 1px solid #999; border-radius: 4px; max-width: 100% }
.filters { display: flex; flex-wrap: wrap; gap: 0 1rem; align-items: flex-end; margin-bottom: 1rem }
.filters > div { max-width: 100% }
.warning { padding: .5rem .75rem; border-radius: 4px; background: #fff6e0; border: 1px solid #d9b45a }
.codes { font: 1.1rem/1.8 ui-monospace, monospace; letter-spacing: .05em; columns: 2 12rem; padding-left: 2.5rem }
fieldset.filters { border: 0; padding: 0; margin: .5rem 0; display: flex; flex-wrap: wrap; gap: .25rem 1rem }
fieldset.filters legend { font-weight: 600; padding: 0 }
label.check { display: inline; margin: 0; font-weight: normal }
.chart { margin: .5rem 0 }
.chart-svg { display: block; width: 100%; height: auto }
.legend { margin-right: 1rem; white-space: nowrap }
.totals { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: .5rem; margin: 0; padding: 0; list-style: none }
.totals li { border: 1px solid #ddd; border-radius: 4px; padding: .5rem }
.totals strong { display: block; font-size: 1.4rem }
@media print { header form, .no-print { display: none } }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 }
th, td { border-bottom: 1px solid #ddd; padding: .35rem .5rem; text-align: left; vertical-align: top; overflow-wrap: anywhere }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem }
dd { margin: 0; overflow-wrap: anywhere }
@media (max-width: 40rem) {
  table, tbody, tr, td { display: block }
  thead { display: none }
  tr { border-bottom: 1px solid #ccc; padding: .35rem 0 }
  td { border: 0; padding: .1rem 0 }
  td[data-label]::before { content: attr(data-label) ": "; color: #666 }
  dl { grid-template-columns: 1fr }
  dt { margin-top: .5rem }
  header form { margin-left: 0 }
}
`;

export interface PageProps {
  title: string;
  /** Shown before the title in the header (the console's name, or the issuer on the portal). */
  site: string;
  /** Navigation links and the logout form, when someone is logged in. */
  nav?: Child;
  children?: Child;
}

/** The frame of every console and portal page. */
export function Page({ title, site, nav, children }: PageProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        {/* No favicon: without this, browsers ask for /favicon.ico and log its 404. */}
        <link rel="icon" href="data:," />
        <title>{`${title} · ${site}`}</title>
        <style dangerouslySetInnerHTML={{ __html: PAGE_STYLE }} />
      </head>
      <body>
        <header>
          <strong>{site}</strong>
          {nav}
        </header>
        <main>
          <h1>{title}</h1>
          {children}
        </main>
      </body>
    </html>
  );
}

/** A message at the top of a page: the outcome of an action, or what was wrong with a request. */
export interface Notice {
  kind: "notice" | "error";
  text: string;
}

/** A message after an action: `kind` "error" for refusals. */
export function Flash({ kind, text }: { kind: "notice" | "error"; text?: string }) {
  return text ? (
    <p class={kind} role={kind === "error" ? "alert" : "status"}>
      {text}
    </p>
  ) : null;
}

/** The hidden field every form of a session carries (src/web/forms.ts checks it). */
export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name="csrf" value={token} />;
}
