import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACK_FONT_FILES, resolvePackFonts } from '../../lambdas/adapters/pdf/fonts.ts';
import { renderPack } from '../../lambdas/adapters/pdf/render-pack.ts';
import { InputError } from '../../lambdas/errors.ts';
import { buildPackModel } from '../fixtures/pack-model.ts';

describe('pack fonts', () => {
  let bundleDir: string;

  beforeAll(() => {
    // What a Lambda bundle does: the font files copied beside the handler.
    bundleDir = mkdtempSync(join(tmpdir(), 'cm01-fonts-'));
    const fromPackage = resolvePackFonts();
    for (const role of Object.keys(PACK_FONT_FILES) as (keyof typeof PACK_FONT_FILES)[]) {
      copyFileSync(fromPackage[role], join(bundleDir, PACK_FONT_FILES[role]));
    }
  });

  afterAll(() => {
    rmSync(bundleDir, { recursive: true, force: true });
  });

  it('finds every pack font in the dejavu-fonts-ttf package by default', () => {
    const paths = resolvePackFonts();
    for (const role of Object.keys(PACK_FONT_FILES) as (keyof typeof PACK_FONT_FILES)[]) {
      expect(paths[role].endsWith(PACK_FONT_FILES[role])).toBe(true);
    }
  });

  it('renders the same bytes from a font folder holding copies of the files', async () => {
    const model = buildPackModel({ changes: 30, exceptionsEvery: 4, seed: 11 });
    const fromPackage = await renderPack(model);
    const fromFolder = await renderPack(model, { fontDir: bundleDir });
    expect(Buffer.from(fromFolder.pdf).equals(Buffer.from(fromPackage.pdf))).toBe(true);
  });

  it('names the missing file when the font folder lacks one', () => {
    const empty = mkdtempSync(join(tmpdir(), 'cm01-nofonts-'));
    try {
      expect(() => resolvePackFonts(empty)).toThrow(InputError);
      expect(() => resolvePackFonts(empty)).toThrow(/DejaVuSans\.ttf not found/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
