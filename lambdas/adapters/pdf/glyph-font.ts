/**
 * A fast, deterministic text path over one embedded TrueType font.
 *
 * pdfkit's `text()` shapes every string with fontkit and caches the layout per word; for 50,000
 * table rows full of unique SHAs and version IDs that cache grows to gigabytes and the shaping
 * dominates the run time. A table needs no ligatures or kerning, so this class maps each code
 * point to its glyph once, measures by summing advance widths, and writes glyph ids as hex for a
 * `Tj` operator. It registers every glyph it writes with pdfkit's font subset (widths and the
 * ToUnicode map), so the embedded font, the text extraction and the PDF/A checks stay right.
 */

interface FontkitGlyph {
  readonly id: number;
  readonly advanceWidth: number;
}

interface FontkitFont {
  readonly unitsPerEm: number;
  hasGlyphForCodePoint(codePoint: number): boolean;
  glyphForCodePoint(codePoint: number): FontkitGlyph;
}

/** The members of pdfkit's EmbeddedFont this path relies on (public in pdfkit, absent from its types). */
export interface PdfkitEmbeddedFont {
  readonly id: string;
  readonly font: FontkitFont;
  /** In 1/1000 em. */
  readonly ascender: number;
  readonly descender: number;
  readonly subset: { includeGlyph(glyphId: number): number };
  readonly widths: number[];
  readonly unicode: number[][];
  ref(): unknown;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

export class GlyphFont {
  readonly id: string;
  /** Distance from the top of a line box to the baseline, per point of font size. */
  readonly ascent: number;
  private readonly embedded: PdfkitEmbeddedFont;
  private readonly scale: number;
  private readonly asciiAdvance = new Float64Array(128);
  private readonly advanceCache = new Map<number, number>();
  private readonly hasGlyphCache = new Map<number, boolean>();
  private readonly codeCache = new Map<number, string>();
  /** The codes of ASCII code points by index: most of a register's text, looked up per character. */
  private readonly asciiCodes: (string | undefined)[] = new Array(128).fill(undefined);

  constructor(embedded: PdfkitEmbeddedFont) {
    this.embedded = embedded;
    this.id = embedded.id;
    this.ascent = embedded.ascender / 1000;
    this.scale = 1000 / embedded.font.unitsPerEm;
    for (let cp = 0x20; cp < 0x7f; cp++) {
      this.asciiAdvance[cp] = embedded.font.glyphForCodePoint(cp).advanceWidth * this.scale;
    }
  }

  /**
   * The text as this font can show it: tabs become spaces, line feeds stay (the wrapper breaks
   * there); every other code point the font has no glyph
   * for (emoji, control characters) becomes a visible `[U+1F680]` marker — never silently dropped.
   */
  displayable(text: string): string {
    if (PRINTABLE_ASCII.test(text)) return text;
    let out = '';
    for (const char of text) {
      const cp = char.codePointAt(0)!;
      if (cp === 0x09) out += ' ';
      else if (cp === 0x0a) out += '\n';
      else if (this.hasGlyph(cp)) out += char;
      else out += `[U+${cp.toString(16).toUpperCase().padStart(4, '0')}]`;
    }
    return out;
  }

  hasGlyph(codePoint: number): boolean {
    if (codePoint >= 0x20 && codePoint < 0x7f) return true;
    let known = this.hasGlyphCache.get(codePoint);
    if (known === undefined) {
      // Control characters map to .notdef or blank glyphs in DejaVu: show them as markers too.
      known =
        codePoint >= 0x20 &&
        !(codePoint >= 0x7f && codePoint < 0xa0) &&
        this.embedded.font.hasGlyphForCodePoint(codePoint);
      this.hasGlyphCache.set(codePoint, known);
    }
    return known;
  }

  /** Advance width of one code point of displayable text, in 1/1000 em. */
  advance(codePoint: number): number {
    if (codePoint < 128) return this.asciiAdvance[codePoint]!;
    let width = this.advanceCache.get(codePoint);
    if (width === undefined) {
      width = this.embedded.font.glyphForCodePoint(codePoint).advanceWidth * this.scale;
      this.advanceCache.set(codePoint, width);
    }
    return width;
  }

  /** Width in points of displayable text at `size` points. */
  widthOf(text: string, size: number): number {
    let total = 0;
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      if (unit < 128) {
        total += this.asciiAdvance[unit]!;
      } else {
        const cp = text.codePointAt(i)!;
        if (cp > 0xffff) i++;
        total += this.advance(cp);
      }
    }
    return (total * size) / 1000;
  }

  /**
   * Glyph ids of displayable text as the body of a PDF literal string — two bytes per glyph
   * (Identity-H), as a binary string — registering each glyph with the subset. Half the size of
   * hex, which matters: every byte of page content is compressed.
   */
  codesOf(text: string): string {
    let codes = '';
    for (let i = 0; i < text.length; i++) {
      let cp = text.charCodeAt(i);
      if (cp < 128) {
        codes += this.asciiCodes[cp] ?? this.includeGlyph(cp);
        continue;
      }
      if (cp >= 0xd800 && cp < 0xdc00) {
        cp = text.codePointAt(i)!;
        i++;
      }
      let code = this.codeCache.get(cp);
      if (code === undefined) code = this.includeGlyph(cp);
      codes += code;
    }
    return codes;
  }

  /** Makes sure this font is listed in the current page's resources. */
  registerOn(page: { fonts: Record<string, unknown> }): void {
    if (page.fonts[this.id] === undefined) page.fonts[this.id] = this.embedded.ref();
  }

  private includeGlyph(codePoint: number): string {
    const glyph = this.embedded.font.glyphForCodePoint(codePoint);
    const subsetId = this.embedded.subset.includeGlyph(glyph.id);
    if (this.embedded.widths[subsetId] == null)
      this.embedded.widths[subsetId] = glyph.advanceWidth * this.scale;
    if (this.embedded.unicode[subsetId] == null) this.embedded.unicode[subsetId] = [codePoint];
    const code = literalByte(subsetId >> 8) + literalByte(subsetId & 0xff);
    this.codeCache.set(codePoint, code);
    if (codePoint < 128) this.asciiCodes[codePoint] = code;
    return code;
  }
}

/** One byte inside a PDF literal string: parentheses and backslash escaped, line ends too (readers normalise them). */
function literalByte(byte: number): string {
  switch (byte) {
    case 0x28:
      return '\\(';
    case 0x29:
      return '\\)';
    case 0x5c:
      return '\\\\';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    default:
      return String.fromCharCode(byte);
  }
}
