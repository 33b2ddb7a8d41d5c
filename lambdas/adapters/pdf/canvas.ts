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
  addContent(content: string): unknown;
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
  private currentFont = '';
  private currentColor = '';

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
    const baseline = this.geometry.height - run.top - run.font.ascent * run.size;
    const fontOp = `/${run.font.id} ${num(run.size)} Tf`;
    const colorOp = rgb(run.color);
    let op = 'BT';
    if (fontOp !== this.currentFont) {
      op += ` ${fontOp}`;
      this.currentFont = fontOp;
    }
    if (colorOp !== this.currentColor) {
      op += ` ${colorOp} rg`;
      this.currentColor = colorOp;
    }
    const matrix = run.rotated
      ? `0 1 -1 0 ${num(run.x + run.font.ascent * run.size)} ${num(this.geometry.height - run.top)}`
      : `1 0 0 1 ${num(run.x)} ${num(baseline)}`;
    this.ops.push(`${op} ${matrix} Tm <${run.font.hexOf(run.text)}> Tj ET`);
  }

  rect(x: number, top: number, width: number, height: number, fill: Rgb): void {
    if (!this.surface) return;
    const colorOp = rgb(fill);
    const setColor = colorOp !== this.currentColor ? `${colorOp} rg ` : '';
    this.currentColor = colorOp;
    this.ops.push(
      `${setColor}${num(x)} ${num(this.geometry.height - top - height)} ${num(width)} ${num(height)} re f`,
    );
  }

  line(x1: number, y1: number, x2: number, y2: number, color: Rgb, width: number): void {
    if (!this.surface) return;
    const h = this.geometry.height;
    this.ops.push(
      `${rgb(color)} RG ${num(width)} w ${num(x1)} ${num(h - y1)} m ${num(x2)} ${num(h - y2)} l S`,
    );
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
    // pdfkit flips the page to top-down coordinates; these operators use PDF's own bottom-up space.
    this.surface.addContent(`q 1 0 0 -1 0 ${num(this.geometry.height)} cm\n${this.ops.join('\n')}\nQ`);
    this.ops = [];
    this.currentFont = '';
    this.currentColor = '';
  }
}

/** Fixed-precision numbers: the same layout always gives the same bytes. */
export function num(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

function rgb(color: Rgb): string {
  return `${num(color[0])} ${num(color[1])} ${num(color[2])}`;
}
