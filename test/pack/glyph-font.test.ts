import PDFDocument from 'pdfkit';
import { describe, expect, it } from 'vitest';
import { resolvePackFonts } from '../../lambdas/adapters/pdf/fonts.ts';
import { GlyphFont, type PdfkitEmbeddedFont } from '../../lambdas/adapters/pdf/glyph-font.ts';

function loadFont(role: 'regular' | 'mono'): GlyphFont {
  const doc = new PDFDocument({ font: resolvePackFonts()[role] });
  return new GlyphFont((doc as unknown as { _font: PdfkitEmbeddedFont })._font);
}

describe('GlyphFont', () => {
  it('replaces an emoji the font lacks by its code point, keeping the text around it', () => {
    const font = loadFont('regular');
    expect(font.displayable('🚀 Ship it')).toBe('[U+1F680] Ship it');
  });

  it('keeps characters DejaVu has: dashes, check marks and Polish letters', () => {
    const font = loadFont('regular');
    expect(font.displayable('— € ✓ ążł')).toBe('— € ✓ ążł');
  });

  it('shows control characters as markers and tabs as spaces', () => {
    const font = loadFont('mono');
    expect(font.displayable('a\tb\u0007c')).toBe('a b[U+0007]c');
  });

  it('measures a 40-hex SHA in the monospaced font as 40 equal advances', () => {
    const font = loadFont('mono');
    const one = font.widthOf('0', 10);
    expect(font.widthOf('0123456789abcdef0123456789abcdef01234567', 10)).toBeCloseTo(40 * one, 6);
    expect(one).toBeGreaterThan(5);
    expect(one).toBeLessThan(7);
  });

  it('encodes each code point as one two-byte glyph code', () => {
    const font = loadFont('regular');
    const codes = font.codesOf('ab✓');
    expect(codes).toHaveLength(6);
    expect([...codes].every((c) => c.charCodeAt(0) < 256)).toBe(true);
    expect(font.codesOf('a')).toBe(codes.slice(0, 2));
    expect(font.codesOf('✓')).toBe(codes.slice(4, 6));
  });
});
