import type { Canvas, Rgb } from './canvas.ts';
import type { GlyphFont } from './glyph-font.ts';
import { wrapPreformatted, wrapWords } from './wrap.ts';

/**
 * Hand-laid tables, streamed row by row: each row's height is computed from its wrapped cells
 * before anything is drawn, a row that does not fit starts a new page, and the header is repeated
 * at the top of every page the table runs onto. Only a row taller than a whole page is continued
 * across pages (its lines are never cut).
 */

export interface TableColumn {
  readonly header: string;
  readonly width: number;
  readonly font: GlyphFont;
  readonly size: number;
  /** `words`: wrap at spaces, break long tokens; `pre`: keep spaces; `single`: one short line (verdict glyphs). */
  readonly wrap: 'words' | 'pre' | 'single';
  readonly align?: 'left' | 'center' | 'right';
  /** Header written upwards, for narrow verdict columns headed by long control ids. */
  readonly rotateHeader?: boolean;
}

export interface TableCell {
  readonly text: string;
  readonly color?: Rgb;
  readonly font?: GlyphFont;
  /** URL annotation over the cell's text. */
  readonly link?: string;
  /** Internal link (named destination) over the cell's text. */
  readonly goTo?: string;
}

export interface TableStyle {
  readonly headerFont: GlyphFont;
  readonly headerSize: number;
  readonly headerColor: Rgb;
  readonly headerFill: Rgb;
  readonly textColor: Rgb;
  readonly zebraFill: Rgb | null;
  readonly ruleColor: Rgb;
  readonly paddingX: number;
  readonly paddingY: number;
  readonly lineSpacing: number;
}

interface LaidCell {
  readonly lines: readonly string[];
  readonly font: GlyphFont;
  readonly cell: TableCell;
}

export function drawTable(
  canvas: Canvas,
  columns: readonly TableColumn[],
  rows: Iterable<readonly TableCell[]>,
  style: TableStyle,
): void {
  const x0 = canvas.geometry.left;
  const tableWidth = columns.reduce((sum, c) => sum + c.width, 0);
  const headerHeight = measureHeader(columns, style);
  const drawHeader = (c: Canvas): void => {
    const top = c.y;
    c.rect(x0, top, tableWidth, headerHeight, style.headerFill);
    let x = x0;
    for (const column of columns) {
      const label = style.headerFont.displayable(column.header);
      if (column.rotateHeader) {
        const lineHeight = style.headerSize * style.lineSpacing;
        c.text({
          font: style.headerFont,
          size: style.headerSize,
          color: style.headerColor,
          x: x + (column.width - lineHeight) / 2,
          top: top + headerHeight - style.paddingY,
          text: label,
          rotated: true,
        });
      } else {
        const lines = wrapWords(label, column.width - 2 * style.paddingX, (s) =>
          style.headerFont.widthOf(s, style.headerSize),
        );
        drawLines(
          c,
          lines,
          style.headerFont,
          style.headerSize,
          style.headerColor,
          x,
          top,
          column,
          style,
          0,
          lines.length,
        );
      }
      x += column.width;
    }
    c.y = top + headerHeight;
  };

  canvas.onPageStart(drawHeader);
  let first = true;
  let index = 0;
  const lineHeight = rowLineHeight(columns, style);
  for (const row of rows) {
    const laid = layoutRow(columns, row, style);
    let lineCount = 1;
    for (const cell of laid) if (cell.lines.length > lineCount) lineCount = cell.lines.length;
    const height = lineCount * lineHeight + 2 * style.paddingY;
    if (first) {
      // The header never stands alone at the foot of a page.
      canvas.ensure(headerHeight + Math.min(height, 3 * lineHeight));
      drawHeader(canvas);
      first = false;
    }
    if (height <= canvas.remaining) {
      drawRow(canvas, columns, laid, style, index, 0, lineCount, lineHeight);
    } else if (height <= canvas.geometry.contentBottom - canvas.geometry.contentTop - headerHeight) {
      canvas.newPage();
      drawRow(canvas, columns, laid, style, index, 0, lineCount, lineHeight);
    } else {
      let from = 0;
      while (from < lineCount) {
        const fits = Math.floor((canvas.remaining - 2 * style.paddingY) / lineHeight);
        if (fits < 1) {
          canvas.newPage();
          continue;
        }
        const to = Math.min(lineCount, from + fits);
        drawRow(canvas, columns, laid, style, index, from, to, lineHeight);
        from = to;
      }
    }
    index++;
  }
  if (first) {
    canvas.ensure(headerHeight);
    drawHeader(canvas);
  }
  canvas.onPageStart(null);
}

function layoutRow(
  columns: readonly TableColumn[],
  row: readonly TableCell[],
  style: TableStyle,
): LaidCell[] {
  const laid: LaidCell[] = [];
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!;
    const cell = row[i] ?? { text: '' };
    const font = cell.font ?? column.font;
    const text = font.displayable(cell.text);
    let lines: string[];
    if (column.wrap === 'single') lines = [text];
    else {
      const width = column.width - 2 * style.paddingX;
      const measure = measurerOf(font, column.size);
      lines =
        column.wrap === 'pre' ? wrapPreformatted(text, width, measure) : wrapWords(text, width, measure);
    }
    laid.push({ lines, font, cell });
  }
  return laid;
}

const measurers = new WeakMap<GlyphFont, Map<number, (text: string) => number>>();

/** One width function per font and size, not one per cell: a register lays out hundreds of thousands of cells, twice. */
function measurerOf(font: GlyphFont, size: number): (text: string) => number {
  let bySize = measurers.get(font);
  if (!bySize) {
    bySize = new Map();
    measurers.set(font, bySize);
  }
  let measure = bySize.get(size);
  if (!measure) {
    measure = (text: string): number => font.widthOf(text, size);
    bySize.set(size, measure);
  }
  return measure;
}

function rowLineHeight(columns: readonly TableColumn[], style: TableStyle): number {
  let size = 0;
  for (const column of columns) size = Math.max(size, column.size);
  return size * style.lineSpacing;
}

function drawRow(
  canvas: Canvas,
  columns: readonly TableColumn[],
  laid: readonly LaidCell[],
  style: TableStyle,
  index: number,
  from: number,
  to: number,
  lineHeight: number,
): void {
  const top = canvas.y;
  const height = (to - from) * lineHeight + 2 * style.paddingY;
  const x0 = canvas.geometry.left;
  const tableWidth = columns.reduce((sum, c) => sum + c.width, 0);
  if (style.zebraFill && index % 2 === 1) canvas.rect(x0, top, tableWidth, height, style.zebraFill);
  let x = x0;
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!;
    const { lines, font, cell } = laid[i]!;
    drawLines(
      canvas,
      lines,
      font,
      column.size,
      cell.color ?? style.textColor,
      x,
      top,
      column,
      style,
      from,
      to,
      lineHeight,
    );
    if ((cell.link || cell.goTo) && from < lines.length) {
      const shown = Math.min(lines.length, to) - from;
      const w = column.width - 2 * style.paddingX;
      const h = shown * lineHeight;
      if (cell.link) canvas.link(x + style.paddingX, top + style.paddingY, w, h, cell.link);
      else if (cell.goTo) canvas.goTo(x + style.paddingX, top + style.paddingY, w, h, cell.goTo);
    }
    x += column.width;
  }
  canvas.line(x0, top + height, x0 + tableWidth, top + height, style.ruleColor, 0.25);
  canvas.y = top + height;
}

function drawLines(
  canvas: Canvas,
  lines: readonly string[],
  font: GlyphFont,
  size: number,
  color: Rgb,
  x: number,
  top: number,
  column: TableColumn,
  style: TableStyle,
  from: number,
  to: number,
  lineHeight = size * style.lineSpacing,
): void {
  if (!canvas.drawing) return;
  const inner = column.width - 2 * style.paddingX;
  const end = Math.min(lines.length, to);
  for (let i = from; i < end; i++) {
    const line = lines[i]!;
    let dx = 0;
    if (column.align === 'center' || column.align === 'right') {
      const free = inner - font.widthOf(line, size);
      dx = column.align === 'center' ? free / 2 : free;
    }
    const lineTop = top + style.paddingY + (i - from) * lineHeight + (lineHeight - size * 1.15) / 2;
    canvas.text({ font, size, color, x: x + style.paddingX + dx, top: lineTop, text: line });
  }
}

function measureHeader(columns: readonly TableColumn[], style: TableStyle): number {
  const lineHeight = style.headerSize * style.lineSpacing;
  let height = lineHeight;
  for (const column of columns) {
    const label = style.headerFont.displayable(column.header);
    if (column.rotateHeader) {
      height = Math.max(height, style.headerFont.widthOf(label, style.headerSize));
    } else {
      const lines = wrapWords(label, column.width - 2 * style.paddingX, (s) =>
        style.headerFont.widthOf(s, style.headerSize),
      );
      height = Math.max(height, lines.length * lineHeight);
    }
  }
  return height + 2 * style.paddingY;
}
