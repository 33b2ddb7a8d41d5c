import { describe, expect, it } from 'vitest';
import type { PackSummary } from '../../lambdas/pack/pack-summary.ts';
import { html, safeExternalUrl } from '../../lambdas/room/html.ts';
import {
  evidenceRefKey,
  type Room,
  type RoomEvidenceObject,
  type RoomPack,
} from '../../lambdas/room/model.ts';
import {
  evidencePage,
  filterExceptions,
  indexPage,
  packPage,
  trendGroups,
  trendsPage,
} from '../../lambdas/room/pages.ts';
import { relativeUrl } from '../../lambdas/room/paths.ts';

/**
 * The room's pages are built from strings GitHub controls (PR titles, branch names, reasons that
 * quote them, URLs): each must reach the page as text, never as markup or a script.
 */
const HOSTILE_TITLE = '<script>alert("pwned")</script> fix <img src=x onerror=alert(1)>';
const HOSTILE_REASON = 'PR title "</td><script>document.cookie</script>" has no ticket';
const EVIDENCE_KEY = 'evidence/acme/api/pull-request/2026/10/7.json';
const EVIDENCE_VERSION = 'v-7';

function summary(overrides: Partial<PackSummary> = {}): PackSummary {
  return {
    format: 'cm01-pack-summary/1',
    org: 'acme',
    period: { label: '2026-10', from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' },
    profile: { id: 'clerk-cm01', name: 'Clerk <CM-01>' },
    generatedAt: '2026-11-01T06:00:00Z',
    sealSha256: 'a'.repeat(64),
    manifestDigest: 'b'.repeat(64),
    population: 2,
    exceptions: 2,
    controls: [],
    metrics: [
      {
        id: 'CHANGE-FAILURE-RATE',
        title: 'Change failure rate',
        numerator: 1,
        denominator: 20,
        rate: 0.05,
        threshold: 0.03,
        verdict: 'fail',
        proxy: null,
      },
    ],
    unknowns: {
      total: 1,
      fullyEvidenced: false,
      byCause: [{ cause: 'teams', title: 'team membership', count: 1 }],
    },
    gaps: 0,
    retention: {
      location: 's3://bucket',
      immutable: true,
      versioning: 'Enabled',
      lockMode: 'COMPLIANCE',
      defaultRetentionDays: 365,
      verdict: 'pass',
      notes: [],
    },
    incomplete: null,
    changes: [
      {
        repo: 'acme/api',
        prNumber: 7,
        commitSha: 'c'.repeat(40),
        title: HOSTILE_TITLE,
        url: 'javascript:alert(1)',
      },
    ],
    ...overrides,
  };
}

function pack(period: string, overrides: Partial<RoomPack> = {}): RoomPack {
  return {
    stem: `cm01-acme-${period}-clerk-cm01`,
    period,
    org: 'acme',
    profileId: 'clerk-cm01',
    profileName: 'Clerk <CM-01>',
    generatedAt: `${period}-28T00:00:00Z`,
    incomplete: false,
    issues: 1,
    lastModified: `${period}-28T00:00:00Z`,
    files: [
      {
        role: 'pdf',
        key: `packs/${period}/cm01-acme-${period}-clerk-cm01.pdf`,
        name: `cm01-acme-${period}-clerk-cm01.pdf`,
        versionId: 'p1',
        size: 10,
      },
    ],
    seal: { status: 'verified', sha256: 'a'.repeat(64), publicKeySha256: 'd'.repeat(64), problems: [] },
    controlIds: ['TICKET-LINKED', 'CI-PASSED'],
    population: 2,
    unknownByControl: { 'CI-PASSED': 1 },
    unknownTotal: 1,
    exceptions: [
      {
        repo: 'acme/api',
        changeType: 'pull_request',
        prNumber: 7,
        commitSha: 'c'.repeat(40),
        control: 'TICKET-LINKED',
        reason: HOSTILE_REASON,
        evidenceKey: EVIDENCE_KEY,
        evidenceVersion: EVIDENCE_VERSION,
      },
      {
        repo: 'acme/web',
        changeType: 'direct_push',
        prNumber: null,
        commitSha: 'e'.repeat(40),
        control: 'CI-PASSED',
        reason: 'pushed without a pull request',
        evidenceKey: 'evidence/acme/web/branch-commit/2026/10/eee.json',
        evidenceVersion: 'v-e',
      },
    ],
    evidence: new Map([
      [
        evidenceRefKey(EVIDENCE_KEY, EVIDENCE_VERSION),
        {
          key: EVIDENCE_KEY,
          versionId: EVIDENCE_VERSION,
          sha256: 'f'.repeat(64),
          retainUntil: '2027-11-01T00:00:00Z',
        },
      ],
    ]),
    summary: summary(),
    summaryProblem: null,
    ...overrides,
  };
}

function room(packs: RoomPack[]): Room {
  return {
    location: 'local:/srv/cm01',
    readAt: '2026-11-02T00:00:00Z',
    packs,
    storeRetention: null,
    storeRetentionProblem: null,
  };
}

/** Every `<script` the page holds; a served page holds none, a static one only the room's filter. */
function scripts(page: string): string[] {
  return page.match(/<script[^>]*>[\s\S]*?<\/script>/g) ?? [];
}

describe('room pages', () => {
  it('escapes a hostile PR title and reason: no script, no injected element, the text intact', () => {
    const october = pack('2026-10');
    const served = packPage(room([october]), october, 'served');
    expect(scripts(served)).toEqual([]);
    expect(served).not.toContain('<img src=x');
    expect(served).not.toContain('</td><script>');
    expect(served).toContain(
      '&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; fix &lt;img src=x onerror=alert(1)&gt;',
    );
    expect(served).toContain(
      'PR title &quot;&lt;/td&gt;&lt;script&gt;document.cookie&lt;/script&gt;&quot; has no ticket',
    );
    const statics = packPage(room([october]), october, 'static');
    expect(scripts(statics)).toHaveLength(1);
    expect(scripts(statics)[0]).not.toContain('pwned');
  });

  it('never turns a javascript: URL from GitHub into a link; builds the GitHub link instead', () => {
    const october = pack('2026-10');
    const page = packPage(room([october]), october, 'served');
    expect(page).not.toMatch(/href="javascript:/i);
    expect(page).toContain('href="https://github.com/acme/api/pull/7"');
    expect(page).toContain(`href="https://github.com/acme/web/commit/${'e'.repeat(40)}"`);
    expect(safeExternalUrl('data:text/html,<script>')).toBeUndefined();
    expect(safeExternalUrl('https://github.com/acme/api/pull/7')).toBe('https://github.com/acme/api/pull/7');
  });

  it('escapes a value placed in an attribute, such as a repository in a filter option', () => {
    const hostileRepo = 'acme/x" autofocus onfocus="alert(1)';
    const october = pack('2026-10', {
      exceptions: [{ ...pack('2026-10').exceptions[0], repo: hostileRepo } as RoomPack['exceptions'][number]],
    });
    const page = packPage(room([october]), october, 'served', { repo: hostileRepo });
    expect(page).not.toContain('" autofocus onfocus="');
    expect(page).toContain('value="acme/x&quot; autofocus onfocus=&quot;alert(1)"');
  });

  it('filters exceptions by control, repository and change (PR number, SHA or title)', () => {
    const october = pack('2026-10');
    expect(filterExceptions(october, { control: 'CI-PASSED' }).map((e) => e.repo)).toEqual(['acme/web']);
    expect(filterExceptions(october, { repo: 'acme/api' }).map((e) => e.control)).toEqual(['TICKET-LINKED']);
    expect(filterExceptions(october, { change: '#7' })).toHaveLength(1);
    expect(filterExceptions(october, { change: 'eeeeeee' })).toHaveLength(1);
    expect(filterExceptions(october, { change: 'PWNED' })).toHaveLength(1);
    expect(filterExceptions(october, { control: 'CI-PASSED', repo: 'acme/api' })).toHaveLength(0);
    const page = packPage(room([october]), october, 'served', { control: 'CI-PASSED' });
    expect(page).toContain('Showing 1 of 2 exceptions.');
    expect(page).toContain('<option value="CI-PASSED" selected>');
  });

  it('links an exception to its evidence page only when the manifest names that version', () => {
    const october = pack('2026-10');
    const page = packPage(room([october]), october, 'served');
    expect(page.match(/class="evidence-link"/g)).toHaveLength(1);
    expect(page).toContain("(not in the pack's manifest)");
  });

  it('marks a broken seal and says why the summary is not used', () => {
    const broken = pack('2026-10', {
      seal: {
        status: 'broken',
        sha256: null,
        publicKeySha256: null,
        problems: ['exceptions.csv: SHA-256 is <x>'],
      },
      summary: null,
      summaryProblem: "not used: the pack's seal is broken",
    });
    const index = indexPage(room([broken]), 'served');
    expect(index).toContain('<span class="status status-broken">broken</span>');
    const page = packPage(room([broken]), broken, 'served');
    expect(page).toContain('exceptions.csv: SHA-256 is &lt;x&gt;');
    expect(page).toContain("Figures from the pack's summary file are not shown");
    expect(page).not.toContain('id="metrics-table"');
  });

  it('shows an evidence object as escaped text with its hashes, and flags a mismatch', () => {
    const october = pack('2026-10');
    const bytes = new TextEncoder().encode(
      '{"data":{"title":"</pre><script>x()</script>","url":"javascript:x()"}}',
    );
    const object: RoomEvidenceObject = {
      key: EVIDENCE_KEY,
      versionId: EVIDENCE_VERSION,
      bytes,
      sha256: '0'.repeat(64),
      manifest: {
        key: EVIDENCE_KEY,
        versionId: EVIDENCE_VERSION,
        sha256: 'f'.repeat(64),
        retainUntil: '2027-11-01T00:00:00Z',
      },
      matchesManifest: false,
      stored: {
        key: EVIDENCE_KEY,
        versionId: EVIDENCE_VERSION,
        sha256: '0'.repeat(64),
        contentHash: '0'.repeat(64),
        retainUntil: '2027-11-01T00:00:00Z',
        lockMode: 'COMPLIANCE',
        size: bytes.length,
        lastModified: '2026-10-30T00:00:00Z',
      },
      citedBy: [october.stem],
    };
    const page = evidencePage(room([october]), object, 'served');
    expect(scripts(page)).toEqual([]);
    expect(page).toContain('&lt;/pre&gt;&lt;script&gt;x()&lt;/script&gt;');
    expect(page).not.toMatch(/href="javascript:/i);
    expect(page).toContain('SHA-256 does not match the manifest');
    expect(page).toContain('href="../pack/cm01-acme-2026-10-clerk-cm01.html"');
  });

  it('draws the trend charts as SVG with the threshold and the figures as a table', () => {
    const packs = [pack('2026-09', { summary: null, summaryProblem: 'absent' }), pack('2026-10')];
    const [group] = trendGroups(room(packs));
    expect(group?.packs.map((p) => p.period)).toEqual(['2026-09', '2026-10']);
    const page = trendsPage(room(packs), group as NonNullable<typeof group>, 'served');
    expect(page.match(/<svg role="img"/g)).toHaveLength(4);
    expect(scripts(page)).toEqual([]);
    // No verified summary in September: its rate is not drawn as 0 %, it is missing.
    expect(page).toContain(
      '<tr><th scope="row">Change-failure rate</th><td class="num">—</td><td class="num">5.0 %</td></tr>',
    );
    expect(page).toContain(
      '<tr><th scope="row">Threshold</th><td class="num">3.0 %</td><td class="num">3.0 %</td></tr>',
    );
    // September's unknowns have no recorded cause: counted as such, not dropped.
    expect(page).toContain('cause not recorded (no verified summary)');
    // SVG ids of several charts on one page must not collide.
    const ids = [...page.matchAll(/<clipPath id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('renders the same trends page to the same bytes twice (a republished room writes nothing new)', () => {
    const packs = [pack('2026-09'), pack('2026-10')];
    const [group] = trendGroups(room(packs));
    const first = trendsPage(room(packs), group as NonNullable<typeof group>, 'static');
    expect(trendsPage(room(packs), group as NonNullable<typeof group>, 'static')).toBe(first);
  });

  it('prefers a complete pack to an INCOMPLETE one of the same month in the trends', () => {
    const complete = pack('2026-10');
    const incomplete = pack('2026-10', {
      stem: 'cm01-acme-2026-10-clerk-cm01-INCOMPLETE',
      incomplete: true,
      population: 1,
    });
    const [group] = trendGroups(room([incomplete, complete]));
    expect(group?.packs.map((p) => p.stem)).toEqual([complete.stem]);
  });

  it('makes relative links that work from any page', () => {
    expect(relativeUrl('room/index.html', 'room/pack/a.html')).toBe('pack/a.html');
    expect(relativeUrl('room/pack/a.html', '2026-10/a.pdf')).toBe('../../2026-10/a.pdf');
    expect(relativeUrl('room/evidence/x.html', 'room/pack/a b.html')).toBe('../pack/a%20b.html');
    expect(String(html`<p>${'<b>'}</p>`)).toBe('<p>&lt;b&gt;</p>');
  });
});
