import { describe, expect, it } from 'vitest';
import { breakToken, wrapPreformatted, wrapWords } from '../../lambdas/adapters/pdf/wrap.ts';

/** Every character one unit wide: widths are lengths, easy to reason about. */
const measure = (text: string): number => Array.from(text).length;

describe('wrapWords', () => {
  it('fills lines greedily without exceeding the width', () => {
    const lines = wrapWords('the quick brown fox jumps over the lazy dog', 10, measure);
    expect(lines).toEqual(['the quick', 'brown fox', 'jumps over', 'the lazy', 'dog']);
    for (const line of lines) expect(measure(line)).toBeLessThanOrEqual(10);
  });

  it('breaks a token wider than the line at character boundaries and loses no character', () => {
    const sha = '1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c';
    const lines = wrapWords(`commit ${sha} failed`, 16, measure);
    expect(lines.join('')).toContain(sha.slice(0, 16));
    expect(lines.join('').replaceAll(' ', '')).toBe(`commit${sha}failed`);
    for (const line of lines) expect(measure(line)).toBeLessThanOrEqual(16);
  });

  it('breaks on line feeds', () => {
    expect(wrapWords('key\nversion abc', 40, measure)).toEqual(['key', 'version abc']);
  });
});

describe('breakToken', () => {
  it('prefers to break after a slash near the end of a line', () => {
    const pieces = breakToken('evidence/acme/payments-api/pull-request/2026/10/1234.json', 20, measure);
    expect(pieces.join('')).toBe('evidence/acme/payments-api/pull-request/2026/10/1234.json');
    expect(pieces[0]).toBe('evidence/acme/');
    for (const piece of pieces) expect(measure(piece)).toBeLessThanOrEqual(20);
  });

  it('keeps a character wider than the line on a line of its own rather than dropping it', () => {
    const wide = (text: string): number => (text === 'W' ? 5 : text.length);
    expect(breakToken('aWb', 2, wide)).toEqual(['a', 'W', 'b']);
  });
});

describe('wrapPreformatted', () => {
  it('keeps indentation and continues an overlong line on the next one', () => {
    const lines = wrapPreformatted('{\n  "a": "0123456789"\n}', 10, measure);
    expect(lines).toEqual(['{', '  "a": "01', '23456789"', '}']);
  });
});
