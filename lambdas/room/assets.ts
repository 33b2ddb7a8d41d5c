import { createHash } from 'node:crypto';

/**
 * The room's style sheet and its one small script, inlined in every page: a page opened alone
 * (through a presigned URL) needs nothing else, and nothing is fetched from anywhere. The script
 * only filters the exceptions table of a static copy, where no server reads the form; every page
 * works without it.
 */
export const ROOM_CSS = `
:root { color-scheme: light; --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --bg-alt: #f6f8fa;
  --link: #0550ae; --focus: #bf3989; --ok: #116329; --bad: #a40e26; --warn: #7d4e00; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: #fff; }
a { color: var(--link); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible, main:focus-visible {
  outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -10000px; top: 0; background: #fff; padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: 1rem; top: 1rem; }
header.site { border-bottom: 1px solid var(--line); padding: .75rem 1.5rem; display: flex; flex-wrap: wrap; gap: 1rem; align-items: baseline; }
header.site .brand { font-weight: 700; font-size: 1.1rem; }
header.site nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: 1rem; margin: 0; padding: 0; }
main { padding: 1rem 1.5rem 3rem; max-width: 80rem; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 .75rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
h3 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; width: 100%; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { border: 1px solid var(--line); padding: .35rem .5rem; text-align: left; vertical-align: top; }
thead th { background: var(--bg-alt); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.nowrap { white-space: nowrap; }
ul.downloads { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .9em; overflow-wrap: anywhere; }
.status { font-weight: 700; white-space: nowrap; }
.status-verified, .verdict-pass { color: var(--ok); }
.status-broken, .verdict-fail { color: var(--bad); }
.status-unsealed, .verdict-unknown, .incomplete { color: var(--warn); }
.incomplete { font-weight: 700; }
.note { color: var(--muted); }
.problems { color: var(--bad); }
form.filters { display: flex; flex-wrap: wrap; gap: .75rem 1.25rem; align-items: flex-end; margin: .5rem 0 1rem;
  padding: .75rem; background: var(--bg-alt); border: 1px solid var(--line); }
form.filters label { display: flex; flex-direction: column; font-weight: 600; font-size: .95rem; }
form.filters input, form.filters select, form.filters button { font: inherit; padding: .3rem .5rem; min-width: 12rem;
  border: 1px solid var(--muted); border-radius: 4px; background: #fff; color: var(--ink); }
form.filters button { min-width: auto; background: var(--link); color: #fff; border-color: var(--link); cursor: pointer; }
figure.chart { margin: 1.5rem 0 2rem; }
.chart-svg { max-width: 100%; height: auto; display: block; }
.chart-desc { color: var(--muted); margin: 0 0 .5rem; }
table.chart-data { width: auto; font-size: .9rem; }
pre.raw { background: var(--bg-alt); border: 1px solid var(--line); padding: .75rem; overflow: auto; max-height: 40rem;
  white-space: pre-wrap; overflow-wrap: anywhere; font-size: .85rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
footer.site { border-top: 1px solid var(--line); padding: .75rem 1.5rem; color: var(--muted); font-size: .9rem; }
[hidden] { display: none !important; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { font-size: 10pt; }
  .skip, header.site nav, form.filters, .no-print { display: none !important; }
  main { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  a.print-url::after { content: " (" attr(href) ")"; font-size: 8pt; color: var(--muted); }
  table { page-break-inside: auto; }
  tr, figure.chart { page-break-inside: avoid; }
  thead { display: table-header-group; }
  pre.raw { max-height: none; overflow: visible; }
  h2 { page-break-after: avoid; }
}
`;

/**
 * Filtering a static copy: the form's fields are read from the address (so a shared link keeps
 * its filter) and on change; rows carry their values in data attributes.
 */
export const ROOM_FILTER_SCRIPT = `(() => {
  const form = document.querySelector('form.filters');
  const table = document.getElementById('exceptions-table');
  const count = document.getElementById('exceptions-count');
  if (!form || !table || !count) return;
  const fields = ['control', 'repo', 'change'];
  const params = new URLSearchParams(location.search);
  for (const name of fields) if (params.has(name) && form.elements[name]) form.elements[name].value = params.get(name);
  const apply = () => {
    const control = form.elements.control.value;
    const repo = form.elements.repo.value;
    const change = form.elements.change.value.trim().toLowerCase();
    let shown = 0;
    const rows = table.tBodies[0] ? Array.from(table.tBodies[0].rows) : [];
    for (const row of rows) {
      const ok = (!control || row.dataset.control === control) && (!repo || row.dataset.repo === repo) &&
        (!change || (row.dataset.change || '').includes(change));
      row.hidden = !ok;
      if (ok) shown++;
    }
    count.textContent = 'Showing ' + shown + ' of ' + rows.length + ' exceptions.';
    const query = new URLSearchParams();
    for (const name of fields) if (form.elements[name].value) query.set(name, form.elements[name].value);
    history.replaceState(null, '', query.toString() ? '?' + query : location.pathname);
  };
  form.addEventListener('submit', (event) => { event.preventDefault(); apply(); });
  form.addEventListener('change', apply);
  apply();
})();`;

function cspHash(source: string): string {
  return `'sha256-${createHash('sha256').update(source, 'utf8').digest('base64')}'`;
}

/**
 * The pages' content security policy: no script but the filter script above (by its hash), no
 * request to any other origin. Styles are allowed inline because the SVG the chart library writes
 * styles its text with style attributes; no script can run from them.
 */
export const ROOM_CSP = [
  "default-src 'none'",
  `script-src ${cspHash(ROOM_FILTER_SCRIPT)}`,
  "style-src 'unsafe-inline'",
  "img-src 'self' data:",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');
