import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPackAttachments } from '../../lambdas/adapters/pdf/read-attachments.ts';
import { type RenderedPack, renderPack } from '../../lambdas/adapters/pdf/render-pack.ts';
import type { PackModel } from '../../lambdas/core/pack-model.ts';
import { buildPackModel } from '../fixtures/pack-model.ts';
import { pageText, runTool } from './pdf-tools.ts';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('renderPack', () => {
  let model: PackModel;
  let pack: RenderedPack;
  let dir: string;
  let pdfPath: string;
  let pages: string[];

  beforeAll(async () => {
    model = buildPackModel({ changes: 300, exceptionsEvery: 7, seed: 42 });
    pack = await renderPack(model);
    dir = mkdtempSync(join(tmpdir(), 'cm01-pack-'));
    pdfPath = join(dir, 'pack.pdf');
    writeFileSync(pdfPath, pack.pdf);
    pages = Array.from({ length: pack.pageCount }, (_, i) => pageText(pdfPath, i + 1));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a PDF that qpdf finds free of syntax and stream errors', () => {
    const report = runTool('qpdf', ['--check', pdfPath]);
    expect(report).toContain('No syntax or stream encoding errors found');
  });

  it('reports the page count pdfinfo sees and numbers every page "Page X of Y"', () => {
    const info = runTool('pdfinfo', [pdfPath]);
    expect(info).toMatch(new RegExp(`^Pages:\\s+${pack.pageCount}$`, 'm'));
    expect(pack.pageCount).toBeGreaterThan(10);
    pages.forEach((text, i) => {
      expect(text).toContain(`Page ${i + 1} of ${pack.pageCount}`);
    });
  });

  it('says on its cover that the population is not fully evidenced, and which sources to fix', () => {
    const cover = pages[0]!.replace(/\s+/g, ' ');
    expect(cover).toContain('The population is not fully evidenced');
    expect(cover).toContain('deployments and their statuses (acme/data-pipeline)');
    const text = runTool('pdftotext', [pdfPath, '-']).replace(/\s+/g, ' ');
    expect(text).toContain('Unknown verdicts by cause');
    expect(text).toContain('PROXY: no incident source is configured');
  });

  it('shows every exception with its SHA, PR number, version ID and control whole', () => {
    const text = runTool('pdftotext', ['-layout', pdfPath, '-']);
    expect(model.exceptions.length).toBeGreaterThan(30);
    for (const e of model.exceptions) {
      expect(text).toContain(e.commitSha);
      expect(text).toContain(e.evidenceVersion);
      expect(text).toContain(e.control);
      if (e.prNumber !== null) expect(text).toContain(`PR #${e.prNumber}`);
    }
  });

  it('shows every change of the population with its SHA whole', () => {
    const text = runTool('pdftotext', ['-layout', pdfPath, '-']);
    for (const change of model.population) expect(text).toContain(change.commitSha);
  });

  it('repeats the population table header on every population page', () => {
    const first = pages.findIndex(
      (t) => t.includes('Population register') && t.includes('reached a protected default branch'),
    );
    const after = pages.findIndex((t) => t.includes('Protected-branch overrides and ruleset bypasses'));
    expect(first).toBeGreaterThan(0);
    expect(after - first).toBeGreaterThan(3);
    for (const text of pages.slice(first, after)) {
      expect(text).toMatch(/Repository\s+Type\s+PR\s+Commit SHA\s+Merged at \(UTC\)\s+Author/);
    }
  });

  it('replaces emoji the font lacks by a visible code-point marker', () => {
    const text = runTool('pdftotext', [pdfPath, '-']);
    expect(model.population.some((p) => p.title.includes('🚀'))).toBe(true);
    expect(text).toContain('[U+1F680] Release payment retries');
    expect(text).not.toContain('🚀');
  });

  it('embeds manifest.json, population.csv and exceptions.csv with the returned bytes', () => {
    const list = runTool('pdfdetach', ['-list', pdfPath]);
    expect(list).toContain('3 embedded files');
    for (const [name, expected] of [
      ['manifest.json', pack.manifestJson],
      ['population.csv', pack.populationCsv],
      ['exceptions.csv', pack.exceptionsCsv],
    ] as const) {
      expect(list).toContain(name);
      expect(runTool('qpdf', [`--show-attachment=${name}`, pdfPath])).toBe(expected);
    }
    const manifest = JSON.parse(pack.manifestJson) as { manifestDigest: string; entries: unknown[] };
    expect(manifest.manifestDigest).toBe(model.manifestDigest);
    expect(manifest.entries).toHaveLength(model.manifest.length);
    expect(pack.populationCsv.trimEnd().split('\r\n')).toHaveLength(model.population.length + 1);
    expect(pack.exceptionsCsv.trimEnd().split('\r\n')).toHaveLength(model.exceptions.length + 1);
  });

  it('lets readPackAttachments take the same bytes out of the PDF', () => {
    const files = readPackAttachments(pack.pdf);
    expect([...files.keys()].sort()).toEqual(['exceptions.csv', 'manifest.json', 'population.csv']);
    expect(Buffer.from(files.get('manifest.json')!).toString('utf8')).toBe(pack.manifestJson);
    expect(Buffer.from(files.get('population.csv')!).toString('utf8')).toBe(pack.populationCsv);
    expect(Buffer.from(files.get('exceptions.csv')!).toString('utf8')).toBe(pack.exceptionsCsv);
  });

  it('declares PDF/A-3B in the XMP metadata and escapes nothing into broken XML', () => {
    const meta = runTool('pdfinfo', ['-meta', pdfPath]);
    expect(meta).toContain('<pdfaid:part>3</pdfaid:part>');
    expect(meta).toContain('<pdfaid:conformance>B</pdfaid:conformance>');
    expect(meta).toContain('CM-01 evidence pack — acme — 2026-10');
    expect(meta).not.toContain('ModifyDate');
    expect(runTool('pdfinfo', [pdfPath])).toMatch(/^PDF version:\s+1\.7$/m);
  });

  it('embeds every font it uses', () => {
    const rows = runTool('pdffonts', [pdfPath]).trim().split('\n').slice(2);
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const row of rows) expect(row).toMatch(/DejaVu\S*\s+CID TrueType\s+Identity-H\s+yes\s+yes\s+yes/);
  });

  it('has an outline entry for each section and internal links from the summary', async () => {
    const document = await getDocument({ data: new Uint8Array(pack.pdf), verbosity: 0 }).promise;
    const outline = await document.getOutline();
    expect(outline.map((item) => item.title)).toEqual([
      'Cover',
      'Summary',
      'Exceptions register',
      'Population register',
      'Overrides and emergency changes',
      'Appendix: policy profile and method',
    ]);
    const summaryLinks = await (await document.getPage(2)).getAnnotations();
    const destinations = summaryLinks
      .map((a: { dest?: unknown }) => a.dest)
      .filter((d: unknown) => typeof d === 'string');
    expect(destinations).toEqual(
      expect.arrayContaining(['summary', 'exceptions', 'population', 'overrides', 'appendix']),
    );
    const exceptionPage =
      pages.findIndex((t) => t.includes('Exceptions register') && t.includes('Evidence object')) + 1;
    const urls = (await (await document.getPage(exceptionPage)).getAnnotations())
      .map((a: { url?: string }) => a.url)
      .filter(Boolean);
    expect(urls).toContain(model.exceptions[0]!.url);
    await document.destroy();
  });

  it('prints the whole manifest digest on the cover', () => {
    expect(pages[0]).toContain(model.manifestDigest);
    expect(pages[0]).toContain('Change Management Policy – SOC 2 Edition (clerk-cm01)');
  });

  it('renders the same model to the same bytes twice', async () => {
    const again = await renderPack(model);
    expect(sha256(again.pdf)).toBe(sha256(pack.pdf));
  });

  it('renders the same bytes in another process under another time zone', async () => {
    const small = await renderPack(buildPackModel({ changes: 120, exceptionsEvery: 7, seed: 42 }));
    const script = join(import.meta.dirname, 'render-in-child.ts');
    const tsx = join(import.meta.dirname, '../../node_modules/.bin/tsx');
    for (const tz of ['Pacific/Kiritimati', 'America/Los_Angeles']) {
      const out = execFileSync(tsx, [script, '120'], { encoding: 'utf8', env: { ...process.env, TZ: tz } });
      expect(out.trim()).toBe(sha256(small.pdf));
    }
  });
});
