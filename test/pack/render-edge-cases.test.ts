import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPack } from '../../lambdas/adapters/pdf/render-pack.ts';
import type { PackModel } from '../../lambdas/core/pack-model.ts';
import { buildPackModel } from '../fixtures/pack-model.ts';
import { pageText, runTool } from './pdf-tools.ts';

describe('renderPack on unusual models', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cm01-pack-edge-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function renderToFile(model: PackModel, name: string): Promise<{ path: string; pages: number }> {
    const pack = await renderPack(model);
    const path = join(dir, name);
    writeFileSync(path, pack.pdf);
    return { path, pages: pack.pageCount };
  }

  it('renders a period without changes, exceptions, overrides or emergencies', async () => {
    const empty = {
      ...buildPackModel({ changes: 0, exceptionsEvery: 0, seed: 1 }),
      overrides: [],
      emergencies: [],
    };
    const { path, pages } = await renderToFile(empty, 'empty.pdf');
    expect(runTool('qpdf', ['--check', path])).toContain('No syntax or stream encoding errors found');
    const text = runTool('pdftotext', ['-layout', path, '-']);
    expect(text).toContain('No exceptions: no change failed a control');
    expect(text).toContain('No override or bypass events in the period.');
    expect(text).toContain(`Page ${pages} of ${pages}`);
  });

  it('continues a row taller than a page onto the next pages without losing a word', async () => {
    const base = buildPackModel({ changes: 12, exceptionsEvery: 3, seed: 5 });
    const words = Array.from({ length: 1500 }, (_, i) => `word${i}`);
    const giant = { ...base.exceptions[0]!, reason: words.join(' ') };
    const model: PackModel = { ...base, exceptions: [giant, ...base.exceptions.slice(1)] };
    const { path, pages } = await renderToFile(model, 'giant.pdf');
    const text = runTool('pdftotext', [path, '-']);
    for (const word of [words[0]!, words[700]!, words[1499]!])
      expect(text).toMatch(new RegExp(`\\b${word}\\b`));
    for (let page = 1; page <= pages; page++)
      expect(pageText(path, page)).toContain(`Page ${page} of ${pages}`);
  });

  it('escapes XML-special characters of the organisation out of the XMP metadata', async () => {
    const model = { ...buildPackModel({ changes: 3, exceptionsEvery: 0, seed: 8 }), org: 'R&D <labs>' };
    const { path } = await renderToFile(model, 'xml.pdf');
    const meta = runTool('pdfinfo', ['-meta', path]);
    expect(meta).toContain('CM-01 evidence pack — R and D ‹labs› — 2026-10');
    expect(meta).not.toMatch(/R&D|<labs>/);
  });
});
