// Nothing may make the page wider than the window (a phone is 390 px): long words break, shell
// commands scroll inside their own box, and on a narrow screen each table row becomes a block
// whose cells are labelled with their column's name. Inline code breaks only where it must
// (break-word), so table columns keep room for a whole Content-Type; example bodies break
// anywhere, so their column takes the width that is left.
export const DOCS_STYLE = `
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
