import { execFileSync } from 'node:child_process';

/** Runs one of the Debian PDF tools (qpdf, poppler-utils) and returns its standard output. */
export function runTool(tool: string, args: readonly string[]): string {
  return execFileSync(tool, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

/** Text of one page with `pdftotext -layout`. */
export function pageText(pdfPath: string, page: number): string {
  return runTool('pdftotext', ['-layout', '-f', String(page), '-l', String(page), pdfPath, '-']);
}
