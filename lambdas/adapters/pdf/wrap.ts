/**
 * Line breaking for the pack, done here rather than by pdfkit so that the measuring pass and the
 * drawing pass make the same decisions and the page count is known before the first page is
 * written. Nothing is ever cut or elided: a token wider than the column (a SHA, an S3 key, a
 * version ID) is broken at a character boundary — after a `/`, `-` or `_` when one is close.
 */

/** Width in points of a string already made displayable for the font in use. */
export type MeasureText = (text: string) => number;

/** Words wrapped greedily into lines no wider than `maxWidth`; `\n` forces a break. */
export function wrapWords(text: string, maxWidth: number, measure: MeasureText): string[] {
  // Most table cells (names, numbers, SHAs) fit as they are.
  if (!text.includes('\n') && !text.includes('  ') && text.trim() === text && measure(text) <= maxWidth)
    return [text];
  const lines: string[] = [];
  const spaceWidth = measure(' ');
  for (const paragraph of text.split('\n')) {
    let line = '';
    let lineWidth = 0;
    for (const word of paragraph.split(' ')) {
      if (word === '') continue;
      const wordWidth = measure(word);
      if (line !== '' && lineWidth + spaceWidth + wordWidth <= maxWidth) {
        line += ` ${word}`;
        lineWidth += spaceWidth + wordWidth;
        continue;
      }
      if (line !== '') lines.push(line);
      if (wordWidth <= maxWidth) {
        line = word;
        lineWidth = wordWidth;
      } else {
        const pieces = breakToken(word, maxWidth, measure);
        line = pieces.pop() ?? '';
        lines.push(...pieces);
        lineWidth = measure(line);
      }
    }
    lines.push(line);
  }
  return lines;
}

/**
 * Pre-formatted text (the profile source): spaces are kept as they are, and a line wider than
 * the column continues on the next line at a character boundary.
 */
export function wrapPreformatted(text: string, maxWidth: number, measure: MeasureText): string[] {
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    if (measure(line) <= maxWidth) lines.push(line);
    else lines.push(...breakAtCharacters(line, maxWidth, measure));
  }
  return lines;
}

/** A token too wide for one line, in pieces that each fit (a single wider character stands alone). */
export function breakToken(token: string, maxWidth: number, measure: MeasureText): string[] {
  const chars = Array.from(token);
  const pieces: string[] = [];
  let start = 0;
  while (start < chars.length) {
    let end = start;
    let width = 0;
    let lastSeparator = -1;
    while (end < chars.length) {
      const w = measure(chars[end]!);
      if (end > start && width + w > maxWidth) break;
      width += w;
      if (chars[end] === '/' || chars[end] === '-' || chars[end] === '_') lastSeparator = end;
      end++;
    }
    // Prefer a break after a separator in the second half of the line: keys read better that way.
    if (end < chars.length && lastSeparator >= start + Math.ceil((end - start) / 2)) end = lastSeparator + 1;
    pieces.push(chars.slice(start, end).join(''));
    start = end;
  }
  return pieces;
}

function breakAtCharacters(line: string, maxWidth: number, measure: MeasureText): string[] {
  const pieces: string[] = [];
  let current = '';
  let width = 0;
  for (const char of line) {
    const w = measure(char);
    if (current !== '' && width + w > maxWidth) {
      pieces.push(current);
      current = '';
      width = 0;
    }
    current += char;
    width += w;
  }
  pieces.push(current);
  return pieces;
}
