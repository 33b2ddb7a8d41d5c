import type { PackSummary } from '../pack/pack-summary.ts';
import { ROOM_CSP, ROOM_CSS, ROOM_FILTER_SCRIPT } from './assets.ts';
import { chartFigure } from './charts.ts';
import { type Html, html, safeExternalUrl, trustedHtml } from './html.ts';
import {
  evidenceRefKey,
  type Room,
  type RoomEvidenceObject,
  type RoomException,
  type RoomPack,
} from './model.ts';
import {
  evidencePagePath,
  evidenceRawPath,
  packFilePath,
  packPagePath,
  ROOM_INDEX,
  relativeUrl,
  trendsPagePath,
} from './paths.ts';

/**
 * The room's pages, as pure functions of what was read from the store. `served`: `cm01 room`
 * answers each request and filters the exceptions on the server (a plain GET form); `static`: the
 * pack job writes the pages once, and a small inline script filters the table of a static copy.
 */
export type RoomMode = 'served' | 'static';

export interface ExceptionFilter {
  readonly control?: string;
  readonly repo?: string;
  /** Matched against the PR number (`#12` or `12`), the commit SHA and the title. */
  readonly change?: string;
}

interface Page {
  readonly room: Room;
  readonly mode: RoomMode;
  /** This page's path, relative to `packs/` (links are made relative to it). */
  readonly path: string;
}

function link(page: Page, to: string): string {
  return relativeUrl(page.path, to);
}

function layout(page: Page, title: string, body: Html, options: { script?: boolean } = {}): string {
  const groups = trendGroups(page.room);
  return `<!doctype html>\n${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${ROOM_CSP}">
<meta name="referrer" content="no-referrer">
<title>${title} — cm01 evidence room</title>
<style>${trustedHtml(ROOM_CSS)}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
<span class="brand">cm01 evidence room</span>
<nav aria-label="Room">
<ul>
<li><a href="${link(page, ROOM_INDEX)}"${page.path === ROOM_INDEX ? trustedHtml(' aria-current="page"') : ''}>Packs</a></li>
${groups.map((g) => {
  const to = trendsPagePath(g.org, g.profileId);
  return html`<li><a href="${link(page, to)}"${page.path === to ? trustedHtml(' aria-current="page"') : ''}>Trends: ${g.org} · ${g.profileId}</a></li>`;
})}
</ul>
</nav>
</header>
<main id="main" tabindex="-1">
${body}
</main>
<footer class="site">
<p>${
    page.mode === 'served'
      ? html`Read-only view of ${page.room.location}, read at ${page.room.readAt}: seals were checked as this page was made.`
      : html`Static copy written beside the packs of ${page.room.location} by the pack job, as of the pack stored at ${page.room.readAt}: seals were checked then. Check a pack again with <code>cm01 verify PACK.pdf --store URL</code>.`
  }</p>
</footer>
${options.script && page.mode === 'static' ? trustedHtml(`<script>${ROOM_FILTER_SCRIPT}</script>`) : ''}
</body>
</html>`}\n`;
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

function sealBadge(pack: RoomPack): Html {
  const words = { verified: 'verified', broken: 'broken', unsealed: 'unsealed' } as const;
  return html`<span class="status status-${pack.seal.status}">${words[pack.seal.status]}</span>`;
}

function packTitle(pack: RoomPack): string {
  return `${pack.org ?? 'unknown organisation'} · ${pack.period} · ${pack.profileId ?? 'unknown profile'}`;
}

const FILE_LABELS: Readonly<Record<string, string>> = {
  pdf: 'PDF',
  population: 'population.csv',
  exceptions: 'exceptions.csv',
  manifest: 'manifest.json',
  seal: 'seal.json',
  signature: 'seal.sig',
  publicKey: 'public-key.pem',
  pdfSignature: 'PDF signature',
  summary: 'summary.json',
  summarySignature: 'summary.sig',
};

function downloadLinks(page: Page, pack: RoomPack, roles: readonly string[]): Html {
  const files = pack.files.filter((f) => roles.includes(f.role));
  return html`<ul class="downloads">${files.map(
    (f) =>
      html`<li><a class="print-url" href="${link(page, packFilePath(f.key))}" download="${f.name}">${FILE_LABELS[f.role] ?? f.name}<span class="visually-hidden"> of ${packTitle(pack)}</span></a></li>`,
  )}</ul>`;
}

function formatRate(rate: number | null): string {
  return rate === null ? 'no production deployment' : `${(rate * 100).toFixed(1)} %`;
}

/** The change an exception names, with its title when the signed summary gives it. */
function changeOf(
  pack: RoomPack,
  row: RoomException,
): { label: string; title: string; url: string | undefined } {
  const known = pack.summary?.changes.find((c) => c.repo === row.repo && c.commitSha === row.commitSha);
  const label =
    row.changeType === 'period'
      ? 'the whole period'
      : row.prNumber !== null
        ? `PR #${row.prNumber}`
        : `${row.changeType === 'production_deploy' ? 'deploy' : 'push'} ${row.commitSha.slice(0, 7)}`;
  const constructed =
    row.changeType === 'period' || !row.repo.includes('/')
      ? undefined
      : row.prNumber !== null
        ? `https://github.com/${row.repo}/pull/${row.prNumber}`
        : row.commitSha
          ? `https://github.com/${row.repo}/commit/${row.commitSha}`
          : undefined;
  return {
    label,
    title: known?.title ?? '',
    url: safeExternalUrl(known?.url) ?? safeExternalUrl(constructed),
  };
}

function changeSearchText(pack: RoomPack, row: RoomException): string {
  const change = changeOf(pack, row);
  return [
    row.prNumber !== null ? `#${row.prNumber} ${row.prNumber}` : '',
    row.commitSha,
    change.title,
    change.label,
  ]
    .join(' ')
    .toLowerCase();
}

export function filterExceptions(pack: RoomPack, filter: ExceptionFilter): RoomException[] {
  const change = filter.change?.trim().toLowerCase() ?? '';
  return pack.exceptions.filter(
    (row) =>
      (!filter.control || row.control === filter.control) &&
      (!filter.repo || row.repo === filter.repo) &&
      (!change || changeSearchText(pack, row).includes(change)),
  );
}

// ---------------------------------------------------------------------------------------------
// The index: packs by period and profile

export function indexPage(room: Room, mode: RoomMode): string {
  const page: Page = { room, mode, path: ROOM_INDEX };
  const newestFirst = [...room.packs].reverse();
  const latestWithRetention = newestFirst.find((p) => p.summary !== null);
  const body = html`<h1>Evidence packs</h1>
<p>Every pack the store holds, newest period first. A pack's seal is <strong>verified</strong> when its signature checks with a
key published in the store and every file beside the PDF is the one the seal names; <strong>broken</strong> when anything
does not match; <strong>unsealed</strong> when the pack carries no seal.</p>
${
  room.packs.length === 0
    ? html`<p>No packs in ${room.location} yet: <code>cm01 run</code> or the monthly pack job stores them.</p>`
    : html`<table id="packs-table">
<caption>Packs by period and profile (${room.packs.length})</caption>
<thead><tr><th scope="col">Period</th><th scope="col">Organisation</th><th scope="col">Profile</th><th scope="col">Seal</th>
<th scope="col" class="num">Changes</th><th scope="col" class="num">Exceptions</th><th scope="col" class="num">Unknown</th>
<th scope="col">Issues</th><th scope="col">Files</th></tr></thead>
<tbody>${newestFirst.map(
        (pack) => html`<tr data-stem="${pack.stem}">
<th scope="row"><a href="${link(page, packPagePath(pack.stem))}">${pack.period}</a>${
          pack.incomplete ? html` <span class="incomplete">INCOMPLETE</span>` : ''
        }</th>
<td>${pack.org ?? '—'}</td><td>${pack.profileId ?? '—'}</td><td>${sealBadge(pack)}</td>
<td class="num">${pack.population}</td><td class="num">${pack.exceptions.length}</td><td class="num">${pack.unknownTotal}</td>
<td>${pack.issues === 1 ? '1' : html`${pack.issues} (re-issued; all retained)`}</td>
<td>${downloadLinks(page, pack, ['pdf', 'population', 'exceptions'])}</td>
</tr>`,
      )}</tbody>
</table>`
}
<h2>Trends</h2>
${
  trendGroups(room).length === 0
    ? html`<p>No monthly packs yet.</p>`
    : html`<ul>${trendGroups(room).map(
        (g) =>
          html`<li><a href="${link(page, trendsPagePath(g.org, g.profileId))}">${g.org} · ${g.profileId}</a>: ${g.packs.length} month${g.packs.length === 1 ? '' : 's'}</li>`,
      )}</ul>`
}
<h2>Retention of the store</h2>
${
  latestWithRetention?.summary
    ? html`<p>As the latest pack (${packTitle(latestWithRetention)}) shows it:</p>${retentionFacts(latestWithRetention.summary)}`
    : html`<p>No pack with a verified summary shows the store's retention yet.</p>`
}
${room.storeRetention ? html`<p class="note">As the store reports it now: ${storeRetentionLine(room)}</p>` : ''}
${room.storeRetentionProblem ? html`<p class="note">The store's retention settings could not be read now: ${room.storeRetentionProblem}</p>` : ''}`;
  return layout(page, 'Evidence packs', body);
}

function storeRetentionLine(room: Room): string {
  const r = room.storeRetention;
  if (!r) return '';
  const lock = r.objectLock.enabled
    ? `Object Lock ${r.objectLock.mode ?? 'on'}${r.objectLock.days ? `, ${r.objectLock.days} days` : ''}`
    : 'no Object Lock';
  return [
    `${r.location}: ${r.immutable ? 'immutable' : 'not immutable'}`,
    `versioning ${r.versioning}`,
    lock,
    ...r.notes,
  ].join('; ');
}

function retentionFacts(summary: PackSummary): Html {
  const r = summary.retention;
  return html`<dl class="facts retention">
<dt>Location</dt><dd><code>${r.location}</code></dd>
<dt>Immutable</dt><dd>${r.immutable ? 'yes' : 'no'}</dd>
<dt>Versioning</dt><dd>${r.versioning}</dd>
<dt>Object Lock mode</dt><dd>${r.lockMode}</dd>
<dt>Default retention</dt><dd>${r.defaultRetentionDays === null ? 'none' : `${r.defaultRetentionDays} days`}</dd>
<dt>RETENTION verdict</dt><dd><span class="status verdict-${r.verdict}">${r.verdict}</span></dd>
${r.notes.length > 0 ? html`<dt>Notes</dt><dd><ul>${r.notes.map((n) => html`<li>${n}</li>`)}</ul></dd>` : ''}
</dl>`;
}

// ---------------------------------------------------------------------------------------------
// One pack

export function packPage(room: Room, pack: RoomPack, mode: RoomMode, filter: ExceptionFilter = {}): string {
  const page: Page = { room, mode, path: packPagePath(pack.stem) };
  // A static copy lists every row; its script filters them in place.
  const rows = mode === 'served' ? filterExceptions(pack, filter) : pack.exceptions;
  const controls = [...new Set(pack.exceptions.map((e) => e.control))].sort();
  const repos = [...new Set(pack.exceptions.map((e) => e.repo))].sort();
  const summary = pack.summary;
  const body = html`<h1>${packTitle(pack)}${pack.incomplete ? html` <span class="incomplete">INCOMPLETE</span>` : ''}</h1>
<dl class="facts">
<dt>Seal</dt><dd>${sealBadge(pack)}${pack.seal.sha256 ? html` — seal SHA-256 <code>${pack.seal.sha256}</code>` : ''}</dd>
${
  pack.seal.problems.length > 0
    ? html`<dt>What does not hold</dt><dd><ul class="problems">${pack.seal.problems.map((p) => html`<li>${p}</li>`)}</ul></dd>`
    : ''
}
${pack.seal.publicKeySha256 ? html`<dt>Signing key</dt><dd>SHA-256 <code>${pack.seal.publicKeySha256}</code> (compare with the key you were given; <code>cm01 verify --public-key</code> pins it)</dd>` : ''}
<dt>Profile</dt><dd>${pack.profileName ?? '—'} (<code>${pack.profileId ?? '—'}</code>)</dd>
<dt>Generated</dt><dd>${pack.generatedAt ?? '—'}</dd>
<dt>Issues</dt><dd>${pack.issues === 1 ? 'one' : `${pack.issues}: re-issued, every issue retained; this page shows the current one`}</dd>
<dt>Files</dt><dd>${downloadLinks(page, pack, ['pdf', 'population', 'exceptions', 'manifest'])}</dd>
<dt>Seal and signatures</dt><dd>${downloadLinks(page, pack, ['seal', 'signature', 'publicKey', 'pdfSignature', 'summary', 'summarySignature'])}</dd>
</dl>
${
  summary?.incomplete
    ? html`<h2>Missing sources</h2><p class="incomplete">This pack was rendered although its collection failed; these sources were not read:</p>
<ul>${summary.incomplete.missing.map((m) => html`<li>${m.repo ?? 'organisation'}: ${m.source} — ${m.reason}</li>`)}</ul>`
    : ''
}
<h2>Summary</h2>
<p>${pack.population} changes in the population; ${pack.exceptions.length} exceptions; ${pack.unknownTotal} unknown verdicts.</p>
${pack.summaryProblem ? html`<p class="note">Figures from the pack's summary file are not shown: ${pack.summaryProblem}. Counts below come from the sealed CSV files.</p>` : ''}
${controlsTable(pack)}
${
  summary
    ? html`<table id="metrics-table">
<caption>Metrics</caption>
<thead><tr><th scope="col">Metric</th><th scope="col" class="num">Numerator</th><th scope="col" class="num">Denominator</th>
<th scope="col" class="num">Rate</th><th scope="col" class="num">Threshold</th><th scope="col">Verdict</th></tr></thead>
<tbody>${summary.metrics.map(
        (
          m,
        ) => html`<tr><th scope="row">${m.title} (<code>${m.id}</code>)${m.proxy ? html`<br><span class="note">${m.proxy}</span>` : ''}</th>
<td class="num">${m.numerator}</td><td class="num">${m.denominator}</td><td class="num">${formatRate(m.rate)}</td>
<td class="num">${(m.threshold * 100).toFixed(1)} %</td><td><span class="status verdict-${m.verdict}">${m.verdict}</span></td></tr>`,
      )}</tbody></table>
<table id="unknowns-table">
<caption>Unknown verdicts by cause (${summary.unknowns.total})</caption>
<thead><tr><th scope="col">Cause</th><th scope="col" class="num">Unknown verdicts</th></tr></thead>
<tbody>${
        summary.unknowns.byCause.length === 0
          ? html`<tr><td colspan="2">None: every verdict was decided.</td></tr>`
          : summary.unknowns.byCause.map(
              (c) =>
                html`<tr><th scope="row">${c.title} (<code>${c.cause}</code>)</th><td class="num">${c.count}</td></tr>`,
            )
      }</tbody></table>
<h2>Retention of the store, as this pack shows it</h2>
${retentionFacts(summary)}`
    : ''
}
<h2 id="exceptions">Exceptions</h2>
<form class="filters" method="get" action="#exceptions" role="search" aria-label="Filter the exceptions">
<label for="filter-control">Control
<select id="filter-control" name="control"><option value="">All controls</option>${controls.map(
    (c) => html`<option value="${c}"${filter.control === c ? trustedHtml(' selected') : ''}>${c}</option>`,
  )}</select></label>
<label for="filter-repo">Repository
<select id="filter-repo" name="repo"><option value="">All repositories</option>${repos.map(
    (r) => html`<option value="${r}"${filter.repo === r ? trustedHtml(' selected') : ''}>${r}</option>`,
  )}</select></label>
<label for="filter-change">Change (PR number, SHA or title)
<input id="filter-change" name="change" type="search" value="${filter.change ?? ''}" autocomplete="off"></label>
<button type="submit">Filter</button>
${mode === 'served' && (filter.control || filter.repo || filter.change) ? html`<a href="${link(page, packPagePath(pack.stem))}#exceptions">Clear the filter</a>` : ''}
</form>
<p id="exceptions-count" role="status" aria-live="polite">Showing ${rows.length} of ${pack.exceptions.length} exceptions.</p>
${mode === 'static' ? html`<noscript><p class="note">This static copy filters with JavaScript; without it, every exception is listed below.</p></noscript>` : ''}
<table id="exceptions-table">
<caption>Exceptions of ${packTitle(pack)}: the change, the control it failed, why, and the evidence object the verdict rests on</caption>
<thead><tr><th scope="col">Control</th><th scope="col">Repository</th><th scope="col">Change</th><th scope="col">Reason</th><th scope="col">Evidence</th></tr></thead>
<tbody>${rows.map((row) => exceptionRow(page, pack, row))}</tbody>
</table>`;
  return layout(page, packTitle(pack), body, { script: true });
}

function controlsTable(pack: RoomPack): Html {
  const summary = pack.summary;
  const exceptionsByControl = new Map<string, number>();
  for (const e of pack.exceptions)
    exceptionsByControl.set(e.control, (exceptionsByControl.get(e.control) ?? 0) + 1);
  if (summary) {
    return html`<table id="controls-table">
<caption>Controls: verdicts over the population</caption>
<thead><tr><th scope="col">Control</th><th scope="col">Requirement</th><th scope="col" class="num">Pass</th><th scope="col" class="num">Fail</th>
<th scope="col" class="num">Exceptions</th><th scope="col" class="num">Not applicable</th><th scope="col" class="num">Unknown</th></tr></thead>
<tbody>${summary.controls.map(
      (
        c,
      ) => html`<tr><th scope="row"><code>${c.id}</code> ${c.title}</th><td>${c.requirement}</td><td class="num">${c.pass}</td>
<td class="num">${c.fail}</td><td class="num">${c.exceptions}</td><td class="num">${c.notApplicable}</td><td class="num">${c.unknown}</td></tr>`,
    )}</tbody></table>`;
  }
  return html`<table id="controls-table">
<caption>Controls: exceptions and unknown verdicts (from the sealed CSV files)</caption>
<thead><tr><th scope="col">Control</th><th scope="col" class="num">Exceptions</th><th scope="col" class="num">Unknown</th></tr></thead>
<tbody>${pack.controlIds.map(
    (
      id,
    ) => html`<tr><th scope="row"><code>${id}</code></th><td class="num">${exceptionsByControl.get(id) ?? 0}</td>
<td class="num">${pack.unknownByControl[id] ?? 0}</td></tr>`,
  )}</tbody></table>`;
}

function exceptionRow(page: Page, pack: RoomPack, row: RoomException): Html {
  const change = changeOf(pack, row);
  const cited = row.evidenceKey
    ? pack.evidence.get(evidenceRefKey(row.evidenceKey, row.evidenceVersion))
    : undefined;
  return html`<tr data-control="${row.control}" data-repo="${row.repo}" data-change="${changeSearchText(pack, row)}">
<td class="nowrap"><code>${row.control}</code></td>
<td>${row.repo}</td>
<td>${change.url ? html`<a class="print-url" href="${change.url}" rel="noreferrer noopener">${change.label}</a>` : change.label}${
    change.title ? html`<br><span class="change-title">${change.title}</span>` : ''
  }${row.commitSha && row.prNumber !== null ? html`<br><code class="note">${row.commitSha.slice(0, 12)}</code>` : ''}</td>
<td>${row.reason}</td>
<td>${
    cited
      ? html`<a class="evidence-link" href="${link(page, evidencePagePath(cited.key, cited.versionId))}">${cited.key.slice(cited.key.lastIndexOf('/') + 1)}<span class="visually-hidden"> (${cited.key})</span></a><br><span class="note">version <code>${cited.versionId.slice(0, 16)}</code></span>`
      : row.evidenceKey
        ? html`<code>${row.evidenceKey}</code> <span class="problems">(not in the pack's manifest)</span>`
        : html`<span class="note">the period as a whole</span>`
  }</td>
</tr>`;
}

// ---------------------------------------------------------------------------------------------
// One evidence object

export function evidencePage(room: Room, object: RoomEvidenceObject, mode: RoomMode): string {
  const page: Page = { room, mode, path: evidencePagePath(object.key, object.versionId) };
  const text = new TextDecoder().decode(object.bytes);
  const githubUrl = githubUrlOf(text);
  const body = html`<h1>Evidence object</h1>
<p>${
    object.matchesManifest
      ? html`<span class="status status-verified">SHA-256 matches the manifest</span>: these are the bytes the pack rests on.`
      : html`<span class="status status-broken">SHA-256 does not match the manifest</span>: the stored bytes are not those the pack rests on.`
  }</p>
<dl class="facts" id="evidence-facts">
<dt>Key</dt><dd><code id="evidence-key">${object.key}</code></dd>
<dt>Version</dt><dd><code id="evidence-version">${object.versionId}</code></dd>
<dt>SHA-256 of the bytes read</dt><dd><code id="evidence-sha256">${object.sha256}</code></dd>
<dt>SHA-256 in the manifest</dt><dd><code id="manifest-sha256">${object.manifest.sha256}</code></dd>
<dt>Retain until (manifest)</dt><dd>${object.manifest.retainUntil}</dd>
<dt>Retain until (store)</dt><dd>${object.stored.retainUntil} (${object.stored.lockMode === 'NONE' ? 'no Object Lock' : `Object Lock ${object.stored.lockMode}`})</dd>
<dt>Written</dt><dd>${object.stored.lastModified}</dd>
<dt>Size</dt><dd>${object.bytes.length} bytes</dd>
<dt>Cited by</dt><dd><ul>${object.citedBy.map((stem) => html`<li><a href="${link(page, packPagePath(stem))}">${stem}</a></li>`)}</ul></dd>
${githubUrl ? html`<dt>On GitHub</dt><dd><a class="print-url" href="${githubUrl}" rel="noreferrer noopener">${githubUrl}</a></dd>` : ''}
</dl>
<p><a id="evidence-raw" href="${link(page, evidenceRawPath(object.key, object.versionId))}" download="${object.key.slice(object.key.lastIndexOf('/') + 1)}">The raw object</a> (canonical JSON, byte for byte as stored; its SHA-256 is the one above).</p>
<h2>Content</h2>
<pre class="raw" tabindex="0" aria-label="The object's canonical JSON">${text}</pre>`;
  return layout(page, `Evidence ${object.key}`, body);
}

/** The GitHub page of the thing an evidence document describes, when it names one. */
function githubUrlOf(text: string): string | undefined {
  try {
    const json = JSON.parse(text) as { data?: { url?: unknown; htmlUrl?: unknown } };
    const url = json.data?.url ?? json.data?.htmlUrl;
    return typeof url === 'string' ? safeExternalUrl(url) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Trends across periods

export interface TrendGroup {
  readonly org: string;
  readonly profileId: string;
  /** One pack per calendar month, oldest first: the complete pack, or the INCOMPLETE one when that is all. */
  readonly packs: readonly RoomPack[];
}

export function trendGroups(room: Room): TrendGroup[] {
  const groups = new Map<string, { org: string; profileId: string; byPeriod: Map<string, RoomPack> }>();
  for (const pack of room.packs) {
    if (!pack.org || !pack.profileId || !/^\d{4}-\d{2}$/.test(pack.period)) continue;
    const id = `${pack.org}\u0000${pack.profileId}`;
    const group = groups.get(id) ?? { org: pack.org, profileId: pack.profileId, byPeriod: new Map() };
    groups.set(id, group);
    const existing = group.byPeriod.get(pack.period);
    if (!existing || (existing.incomplete && !pack.incomplete)) group.byPeriod.set(pack.period, pack);
  }
  return [...groups.values()]
    .map((g) => ({
      org: g.org,
      profileId: g.profileId,
      packs: [...g.byPeriod.values()].sort((a, b) => a.period.localeCompare(b.period)),
    }))
    .sort((a, b) => a.org.localeCompare(b.org) || a.profileId.localeCompare(b.profileId));
}

export function trendsPage(room: Room, group: TrendGroup, mode: RoomMode): string {
  const page: Page = { room, mode, path: trendsPagePath(group.org, group.profileId) };
  const periods = group.packs.map((p) => (p.incomplete ? `${p.period} (INCOMPLETE)` : p.period));
  const controls = [...new Set(group.packs.flatMap((p) => p.exceptions.map((e) => e.control)))].sort();
  const cfr = group.packs.map((p) => p.summary?.metrics.find((m) => m.id === 'CHANGE-FAILURE-RATE'));
  const threshold = cfr.find((m) => m !== undefined)?.threshold;
  const causes = [
    ...new Set(group.packs.flatMap((p) => p.summary?.unknowns.byCause.map((c) => c.title) ?? [])),
  ].sort();
  const unexplained = group.packs.map((p) => (p.summary ? 0 : p.unknownTotal));
  const title = `Trends: ${group.org} · ${group.profileId}`;
  const body = html`<h1>${title}</h1>
<p>One point per month, from each month's current pack${group.packs.some((p) => p.incomplete) ? ' (an INCOMPLETE pack where no complete one exists)' : ''}.
Packs whose seal is not verified are marked; their figures are shown as the files say.</p>
<ul>${group.packs.map(
    (p) => html`<li><a href="${link(page, packPagePath(p.stem))}">${p.period}</a>: seal ${sealBadge(p)}</li>`,
  )}</ul>
${chartFigure({
  id: 'chart-exceptions',
  title: 'Exceptions per control',
  description: `Exceptions in each month's pack, stacked by control (${controls.length === 0 ? 'none in any month' : controls.join(', ')}).`,
  categories: periods,
  series: controls.map((control) => ({
    name: control,
    kind: 'bar' as const,
    stack: 'exceptions',
    values: group.packs.map((p) => p.exceptions.filter((e) => e.control === control).length),
  })),
  unit: 'count',
})}
${chartFigure({
  id: 'chart-cfr',
  title: 'Change-failure rate against its threshold',
  description:
    threshold === undefined
      ? 'No pack of this group carries a verified change-failure rate.'
      : `Failed or rolled-back production deployments divided by all production deployments, each month; the dashed line is the profile's threshold of ${(threshold * 100).toFixed(1)} %.`,
  categories: periods,
  series: [{ name: 'Change-failure rate', kind: 'line', values: cfr.map((m) => m?.rate ?? null) }],
  ...(threshold === undefined ? {} : { threshold: { name: 'Threshold', value: threshold } }),
  unit: 'percent',
})}
${chartFigure({
  id: 'chart-population',
  title: 'Population size',
  description:
    'Changes in each month’s population: merged pull requests, direct pushes and production deployments of unmerged code.',
  categories: periods,
  series: [{ name: 'Changes', kind: 'bar', values: group.packs.map((p) => p.population) }],
  unit: 'count',
})}
${chartFigure({
  id: 'chart-unknowns',
  title: 'Unknown verdicts per cause',
  description: 'Verdicts left unknown each month, stacked by the evidence that was missing.',
  categories: periods,
  series: [
    ...causes.map((cause) => ({
      name: cause,
      kind: 'bar' as const,
      stack: 'unknowns',
      values: group.packs.map((p) => p.summary?.unknowns.byCause.find((c) => c.title === cause)?.count ?? 0),
    })),
    ...(unexplained.some((n) => n > 0)
      ? [
          {
            name: 'cause not recorded (no verified summary)',
            kind: 'bar' as const,
            stack: 'unknowns',
            values: unexplained,
          },
        ]
      : []),
  ],
  unit: 'count',
})}`;
  return layout(page, title, body);
}

/** A short page for a path the room does not hold. */
export function notFoundPage(room: Room, mode: RoomMode, path: string, what: string): string {
  const page: Page = { room, mode, path };
  return layout(
    page,
    'Not found',
    html`<h1>Not found</h1><p>${what}</p><p><a href="${link(page, ROOM_INDEX)}">Back to the packs</a></p>`,
  );
}
