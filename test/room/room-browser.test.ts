import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEvidenceStore } from '../../lambdas/adapters/open-store.ts';
import { readRoom } from '../../lambdas/app/room.ts';
import { publishRoom } from '../../lambdas/app/room-site.ts';
import { cm01Async } from '../cli/run-cli.ts';

/**
 * The evidence room in a real headless browser (Debian's Chromium driven by playwright-core),
 * against a store holding the demo organisation's packs built by the command line: September and
 * October under clerk-cm01, October under clicki. `cm01 room` serves it on loopback; a static copy
 * (`cm01 room --out`) is opened from the file system. A screenshot of each page is kept under
 * test-artifacts/room/.
 */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/room/', import.meta.url));
const CM01 = fileURLToPath(new URL('../../bin/cm01.js', import.meta.url));
const CLERK_OCTOBER = 'cm01-acme-2026-10-clerk-cm01';

let work: string;
let storeUrl: string;
let room: ChildProcess;
let roomUrl: string;
let context: BrowserContext;
let page: Page;

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The rows of a CSV the pack wrote to --out (RFC 4180; the demo's fields hold no line breaks). */
function exceptionRows(stem: string): { control: string; evidenceKey: string; evidenceVersion: string }[] {
  const text = readFileSync(join(work, 'out', `${stem}.exceptions.csv`), 'utf8');
  return text
    .trim()
    .split('\r\n')
    .slice(1)
    .map((line) => {
      const fields = line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)?.map((f) => f.replace(/,$/, '')) ?? [];
      return {
        control: fields[4] as string,
        evidenceKey: fields[6] as string,
        evidenceVersion: fields[7] as string,
      };
    });
}

async function shoot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  work = await mkdtemp(join(tmpdir(), 'cm01-room-'));
  storeUrl = `local:${join(work, 'store')}`;
  const env = { CM01_SIGNING_KEY: join(work, 'signing-key.pem') };
  for (const args of [
    ['run', '--period', '2026-09'],
    ['run', '--period', '2026-10'],
    ['pack', '--period', '2026-10', '--profile', 'clicki'],
  ]) {
    const result = await cm01Async([...args, '--store', storeUrl, '--out', join(work, 'out'), '--json'], {
      env,
    });
    expect(result.status, result.stderr).toBe(0);
  }
  room = spawn(process.execPath, [CM01, 'room', '--store', storeUrl, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  roomUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    room.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /http:\/\/127\.0\.0\.1:\d+\/room\/index\.html/.exec(out);
      if (match) resolve(match[0]);
    });
    room.once('exit', (code) => reject(new Error(`cm01 room exited ${code}: ${out}`)));
  });
  context = await chromium.launchPersistentContext(join(work, 'chromium-profile'), {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1280, height: 900 },
  });
  page = await context.newPage();
}, 300_000);

afterAll(async () => {
  await context?.close();
  if (room && room.exitCode === null) room.kill('SIGKILL');
  await rm(work, { recursive: true, force: true });
});

describe('the evidence room in a browser', () => {
  it("lists the demo's packs by period and profile, each seal verified, with its files", async () => {
    await page.goto(roomUrl);
    const rows = page.locator('#packs-table tbody tr');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-stem')))).toEqual([
      'cm01-acme-2026-10-clicki',
      CLERK_OCTOBER,
      'cm01-acme-2026-09-clerk-cm01',
    ]);
    for (const status of await page.locator('#packs-table .status').allTextContents()) {
      expect(status).toBe('verified');
    }
    const october = page.locator(`tr[data-stem="${CLERK_OCTOBER}"]`);
    const csvLines = readFileSync(join(work, 'out', `${CLERK_OCTOBER}.exceptions.csv`), 'utf8')
      .trim()
      .split('\r\n');
    expect(await october.locator('td.num').nth(1).textContent()).toBe(String(csvLines.length - 1));
    // The PDF link downloads the stored pack byte for byte.
    const pdfHref = await october.locator('a', { hasText: 'PDF' }).getAttribute('href');
    const pdf = await page.request.get(new URL(pdfHref as string, page.url()).href);
    expect(sha256(await pdf.body())).toBe(sha256(readFileSync(join(work, 'out', `${CLERK_OCTOBER}.pdf`))));
    await shoot('index');
  });

  it('narrows the exceptions with the filter form, on the server, without JavaScript', async () => {
    await page.goto(roomUrl);
    await page.locator(`tr[data-stem="${CLERK_OCTOBER}"] th a`).click();
    await expect.poll(() => page.url()).toContain(`${CLERK_OCTOBER}.html`);
    const all = exceptionRows(CLERK_OCTOBER);
    const table = page.locator('#exceptions-table tbody tr');
    expect(await table.count()).toBe(all.length);
    // Keyboard only: choose the control, then submit from the text field with Enter.
    await page.getByLabel('Control').selectOption('IAC-SIGNOFF');
    await page.getByLabel('Change (PR number, SHA or title)').press('Enter');
    await expect.poll(() => page.url()).toContain('control=IAC-SIGNOFF');
    const expected = all.filter((row) => row.control === 'IAC-SIGNOFF').length;
    expect(expected).toBeGreaterThan(0);
    expect(expected).toBeLessThan(all.length);
    expect(await table.count()).toBe(expected);
    expect(
      new Set(await table.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-control')))),
    ).toEqual(new Set(['IAC-SIGNOFF']));
    await expect
      .poll(() => page.locator('#exceptions-count').textContent())
      .toBe(`Showing ${expected} of ${all.length} exceptions.`);
    // No script runs on a served page: the server did the filtering.
    expect(await page.locator('script').count()).toBe(0);
    await shoot('pack-filtered');
  });

  it('opens the evidence object an exception cites, whose bytes hash to the manifest entry', async () => {
    await page.goto(`${roomUrl.replace('index.html', `pack/${CLERK_OCTOBER}.html`)}?control=IAC-SIGNOFF`);
    const firstRow = exceptionRows(CLERK_OCTOBER).find((row) => row.control === 'IAC-SIGNOFF');
    await page.locator('#exceptions-table tbody tr').first().locator('a.evidence-link').click();
    await expect.poll(() => page.locator('#evidence-key').textContent()).toBe(firstRow?.evidenceKey);
    expect(await page.locator('#evidence-version').textContent()).toBe(firstRow?.evidenceVersion);
    const shown = await page.locator('#evidence-sha256').textContent();
    const manifest = JSON.parse(
      readFileSync(join(work, 'out', `${CLERK_OCTOBER}.manifest.json`), 'utf8'),
    ) as {
      entries: { key: string; versionId: string; sha256: string }[];
    };
    const entry = manifest.entries.find(
      (e) => e.key === firstRow?.evidenceKey && e.versionId === firstRow?.evidenceVersion,
    );
    expect(shown).toBe(entry?.sha256);
    const rawHref = await page.locator('#evidence-raw').getAttribute('href');
    const raw = await page.request.get(new URL(rawHref as string, page.url()).href);
    expect(sha256(await raw.body())).toBe(entry?.sha256);
    await shoot('evidence');
  });

  it('draws the trends as SVG charts with titles and a table of their figures', async () => {
    await page.goto(roomUrl);
    await page.getByRole('link', { name: 'acme · clerk-cm01', exact: true }).first().click();
    const charts = page.locator('figure.chart');
    expect(await charts.count()).toBe(4);
    for (const id of ['chart-exceptions', 'chart-cfr', 'chart-population', 'chart-unknowns']) {
      const svg = page.locator(`#${id} svg[role="img"]`);
      expect(await svg.count()).toBe(1);
      expect(await svg.getAttribute('aria-labelledby')).toBe(`${id}-title ${id}-desc`);
      expect(await svg.locator('path').count()).toBeGreaterThan(3);
      const box = await svg.boundingBox();
      expect(box?.width).toBeGreaterThan(300);
    }
    // The population chart's table carries September's and October's population sizes.
    const periods = await page.locator('#chart-population table thead th').allTextContents();
    const changes = await page
      .locator('#chart-population table tbody tr')
      .first()
      .locator('td')
      .allTextContents();
    const sizes = periods.slice(1).map((period, i) => [period, changes[i]]);
    const population = (stem: string) =>
      String(
        readFileSync(join(work, 'out', `${stem}.population.csv`), 'utf8')
          .trim()
          .split('\r\n').length - 1,
      );
    expect(sizes).toEqual([
      ['2026-09', population('cm01-acme-2026-09-clerk-cm01')],
      ['2026-10', population(CLERK_OCTOBER)],
    ]);
    await shoot('trends');
  });

  it('prints without the navigation and the filter form', async () => {
    await page.goto(roomUrl.replace('index.html', `pack/${CLERK_OCTOBER}.html`));
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('form.filters').isVisible()).toBe(false);
    expect(await page.locator('header.site nav').isVisible()).toBe(false);
    expect(await page.locator('#exceptions-table').isVisible()).toBe(true);
    await page.emulateMedia({ media: 'screen' });
  });

  it('a static copy filters in the browser with its own script, from the address as well', async () => {
    const out = join(work, 'static');
    const result = await cm01Async(['room', '--store', storeUrl, '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    const url = pathToFileURL(join(out, 'room', 'pack', `${CLERK_OCTOBER}.html`));
    await page.goto(`${url.href}?control=CI-PASSED`);
    const expected = exceptionRows(CLERK_OCTOBER).filter((row) => row.control === 'CI-PASSED').length;
    await expect.poll(() => page.locator('#exceptions-table tbody tr:visible').count()).toBe(expected);
    await page.getByLabel('Control').selectOption('');
    await expect
      .poll(() => page.locator('#exceptions-table tbody tr:visible').count())
      .toBe(exceptionRows(CLERK_OCTOBER).length);
    // The PDF link of the copy reaches the copied pack.
    await page.goto(pathToFileURL(join(out, 'room', 'index.html')).href);
    const pdfHref = await page
      .locator(`tr[data-stem="${CLERK_OCTOBER}"] a`, { hasText: 'PDF' })
      .getAttribute('href');
    expect(
      readFileSync(new URL(pdfHref as string, page.url()))
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
    await shoot('static-index');
  });

  it('stops cleanly on Ctrl+C (SIGINT)', async () => {
    const exited = new Promise<number | null>((resolve) => room.once('exit', (code) => resolve(code)));
    room.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});

describe('reading the room as the auditor', () => {
  it('names a seal broken when a file beside the pack was replaced, and stops using its summary', async () => {
    const copy = join(work, 'tampered');
    cpSync(join(work, 'store'), copy, { recursive: true });
    const store = await openEvidenceStore(`local:${copy}`);
    const key = `packs/2026-10/${CLERK_OCTOBER}.exceptions.csv`;
    const original = (await store.get(key)).body;
    // Drop the last exception: a pack whose register was edited after sealing.
    const edited = new TextDecoder().decode(original).trim().split('\r\n').slice(0, -1).join('\r\n');
    await store.put({ key, body: new TextEncoder().encode(`${edited}\r\n`), contentType: 'text/csv' });

    const read = await readRoom({ store });
    const tampered = read.packs.find((p) => p.stem === CLERK_OCTOBER);
    expect(tampered?.seal.status).toBe('broken');
    expect(tampered?.seal.problems.join('\n')).toMatch(/exceptions\.csv/);
    expect(tampered?.summary).toBeNull();
    expect(read.packs.filter((p) => p.stem !== CLERK_OCTOBER).map((p) => p.seal.status)).toEqual([
      'verified',
      'verified',
    ]);
  });

  it('publishes the room under packs/room/ only, and writes nothing again when nothing changed', async () => {
    const copy = join(work, 'published');
    cpSync(join(work, 'store'), copy, { recursive: true });
    const store = await openEvidenceStore(`local:${copy}`);
    const before = await store.listKeys('packs/');
    const first = await publishRoom({ store });
    const after = await store.listKeys('packs/');
    const added = after.filter((k) => !before.includes(k));
    expect(added.length).toBe(first.pages);
    expect(added.every((k) => k.startsWith('packs/room/'))).toBe(true);
    expect(added).toContain('packs/room/index.html');
    // A pack job that changed nothing writes no new (retained) version of any page.
    expect((await publishRoom({ store })).written).toBe(0);
    expect(await store.listKeys('evidence/')).toEqual(
      await (await openEvidenceStore(storeUrl)).listKeys('evidence/'),
    );
  });
});
