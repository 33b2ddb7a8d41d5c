import type { GlyphFont } from './glyph-font.ts';

/**
 * A page composer that runs twice over the same content: first measuring (nothing is written,
 * pages are only counted), then drawing into pdfkit with the total known. That is how every page
 * carries "Page X of Y" without pdfkit's `bufferPages`, which keeps every page of a 50,000-row
 * register in memory. All layout decisions depend only on font metrics, so both passes agree;
 * the renderer checks that they do.
 */

export type Rgb = readonly [number, number, number];

export interface PageGeometry {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  /** Where content starts below the running header. */
  readonly contentTop: number;
  /** Where content must end above the running footer. */
  readonly contentBottom: number;
}

/** The members of a pdfkit document the composer drives (page and outline are untyped in @types/pdfkit). */
export interface PdfkitSurface {
  addPage(): unknown;
  addContent(content: string | Uint8Array): unknown;
  link(x: number, y: number, w: number, h: number, url: string): unknown;
  goTo(x: number, y: number, w: number, h: number, name: string): unknown;
  addNamedDestination(name: string, type: 'XYZ', x: number, y: number, zoom: null): unknown;
  readonly page: { fonts: Record<string, unknown> };
  readonly outline: { addItem(title: string, options?: { fit?: boolean }): unknown };
}

export interface TextRun {
  readonly font: GlyphFont;
  readonly size: number;
  readonly color: Rgb;
  readonly x: number;
  /** Top of the line box, in top-down page coordinates. */
  readonly top: number;
  /** Text already made displayable for `font`. */
  readonly text: string;
  /** Rotated 90° counter-clockwise, reading upwards from (x, top). */
  readonly rotated?: boolean;
}

type PageStartHook = (canvas: Canvas) => void;

export class Canvas {
  readonly geometry: PageGeometry;
  /** Known in the drawing pass (from the measuring pass); 0 while measuring. */
  readonly totalPages: number;
  pageNumber = 0;
  /** Cursor, top-down page coordinates. */
  y = 0;
  private readonly surface: PdfkitSurface | null;
  private readonly decoratePage: PageStartHook;
  private pageStartHook: PageStartHook | null = null;
  private ops: string[] = [];
  private fontsOnPage = new Set<string>();
  private currentFont: GlyphFont | null = null;
  private currentSize = 0;
  private currentColor = '';
  private currentStroke = '';
  private inTextObject = false;
  private lineX = 0;
  private lineY = 0;

  constructor(
    surface: PdfkitSurface | null,
    geometry: PageGeometry,
    totalPages: number,
    decoratePage: PageStartHook,
  ) {
    this.surface = surface;
    this.geometry = geometry;
    this.totalPages = totalPages;
    this.decoratePage = decoratePage;
  }

  get drawing(): boolean {
    return this.surface !== null;
  }

  get remaining(): number {
    return this.geometry.contentBottom - this.y;
  }

  newPage(): void {
    this.flush();
    this.pageNumber++;
    if (this.surface) {
      this.surface.addPage();
      this.fontsOnPage = new Set();
    }
    this.y = this.geometry.contentTop;
    this.decoratePage(this);
    this.pageStartHook?.(this);
  }

  /** Starts a new page unless `height` still fits below the cursor. */
  ensure(height: number): void {
    if (this.y + height > this.geometry.contentBottom) this.newPage();
  }

  /** Runs on every following page start (a table repeats its header this way) until cleared. */
  onPageStart(hook: PageStartHook | null): void {
    this.pageStartHook = hook;
  }

  text(run: TextRun): void {
    if (!this.surface || run.text === '') return;
    if (!this.fontsOnPage.has(run.font.id)) {
      run.font.registerOn(this.surface.page);
      this.fontsOnPage.add(run.font.id);
    }
    let op = '';
    if (!this.inTextObject) {
      // BT resets the text line matrix to the identity: relative moves start from the origin.
      op = 'BT ';
      this.inTextObject = true;
      this.lineX = 0;
      this.lineY = 0;
    }
    if (run.font !== this.currentFont || run.size !== this.currentSize) {
      op += `/${run.font.id} ${num(run.size)} Tf `;
      this.currentFont = run.font;
      this.currentSize = run.size;
    }
    const colorOp = rgb(run.color);
    if (colorOp !== this.currentColor) {
      op += `${colorOp} rg `;
      this.currentColor = colorOp;
    }
    if (run.rotated) {
      const x = num(run.x + run.font.ascent * run.size);
      op += `0 1 -1 0 ${x} ${num(this.geometry.height - run.top)} Tm `;
      this.lineX = Number.NaN;
    } else {
      // Positions on a 0.01 pt grid, moved to with the short relative `Td` where possible.
      const x = round2(run.x);
      const y = round2(this.geometry.height - run.top - run.font.ascent * run.size);
      op += Number.isNaN(this.lineX)
        ? `1 0 0 1 ${num(x)} ${num(y)} Tm `
        : `${num(x - this.lineX)} ${num(y - this.lineY)} Td `;
      this.lineX = x;
      this.lineY = y;
    }
    this.ops.push(`${op}(${run.font.codesOf(run.text)}) Tj`);
  }

  private endText(): void {
    if (this.inTextObject) {
      this.ops.push('ET');
      this.inTextObject = false;
    }
  }

  rect(x: number, top: number, width: number, height: number, fill: Rgb): void {
    if (!this.surface) return;
    this.endText();
    const colorOp = rgb(fill);
    const setColor = colorOp !== this.currentColor ? `${colorOp} rg ` : '';
    this.currentColor = colorOp;
    this.ops.push(
      `${setColor}${num(x)} ${num(this.geometry.height - top - height)} ${num(width)} ${num(height)} re f`,
    );
  }

  line(x1: number, y1: number, x2: number, y2: number, color: Rgb, width: number): void {
    if (!this.surface) return;
    this.endText();
    const h = this.geometry.height;
    const stroke = `${rgb(color)} RG ${num(width)} w `;
    const setStroke = stroke !== this.currentStroke ? stroke : '';
    this.currentStroke = stroke;
    this.ops.push(`${setStroke}${num(x1)} ${num(h - y1)} m ${num(x2)} ${num(h - y2)} l S`);
  }

  link(x: number, top: number, width: number, height: number, url: string): void {
    this.surface?.link(x, top, width, height, url);
  }

  goTo(x: number, top: number, width: number, height: number, destination: string): void {
    this.surface?.goTo(x, top, width, height, destination);
  }

  /** A named destination at the cursor and, when `title` is given, an outline entry for this page. */
  anchor(destination: string, title?: string): void {
    if (!this.surface) return;
    this.surface.addNamedDestination(destination, 'XYZ', this.geometry.left, this.y, null);
    // `fit`: pdfkit's default outline destination scrolls to the right edge of the page.
    if (title !== undefined) this.surface.outline.addItem(title, { fit: true });
  }

  /** Hands the drawing operators gathered so far to the current page as one content chunk. */
  flush(): void {
    if (!this.surface || this.ops.length === 0) return;
    this.endText();
    // pdfkit flips the page to top-down coordinates; these operators use PDF's own bottom-up space.
    // A Buffer: pdfkit would convert a string byte by byte in JavaScript; glyph codes are binary.
    const content = `q 1 0 0 -1 0 ${num(this.geometry.height)} cm\n${this.ops.join('\n')}\nQ\n`;
    this.surface.addContent(Buffer.from(content, 'latin1'));
    this.ops = [];
    this.currentFont = null;
    this.currentColor = '';
    this.currentStroke = '';
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Fixed-precision numbers: the same layout always gives the same bytes. */
export function num(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

const colorOperands = new WeakMap<Rgb, string>();

/** Colours are shared constants: their operands are formatted once. */
function rgb(color: Rgb): string {
  let operands = colorOperands.get(color);
  if (operands === undefined) {
    operands = `${num(color[0])} ${num(color[1])} ${num(color[2])}`;
    colorOperands.set(color, operands);
  }
  return operands;
}
