import { describe, expect, it } from 'vitest';
import { allowOnly, parseCommandLine, UsageError, windowFromOptions } from '../../bin/cli/args.ts';

describe('command-line arguments', () => {
  it('reads a period window', () => {
    const { options } = parseCommandLine(['run', '--period', '2026-10']);
    expect(windowFromOptions(options)?.from).toBe('2026-10-01T00:00:00.000Z');
  });

  it('labels a from/to window with both dates', () => {
    const { options } = parseCommandLine(['pack', '--from', '2026-10-01', '--to', '2026-10-16']);
    expect(windowFromOptions(options)?.label).toBe('2026-10-01_2026-10-16');
  });

  it('has no window when none is given', () => {
    expect(windowFromOptions(parseCommandLine(['run']).options)).toBeUndefined();
  });

  it.each([
    [['run', '--period', '2026-13'], '--period'],
    [['run', '--from', '2026-10-10', '--to', '2026-10-01'], '--to'],
    [['run', '--period', '2026-10', '--from', '2026-10-01'], '--period'],
    [['run', '--from', 'yesterday', '--to', '2026-10-01'], '--from'],
  ])('refuses %j as a usage error naming %s', (argv, field) => {
    const attempt = () => windowFromOptions(parseCommandLine(argv).options);
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(new RegExp(`^${field}:`));
  });

  it('refuses an unknown option', () => {
    expect(() => parseCommandLine(['run', '--perod', '2026-10'])).toThrow(UsageError);
  });

  it('refuses an option the command does not take, naming it', () => {
    const { options } = parseCommandLine(['verify', 'x.pdf', '--kinds', 'teams']);
    expect(() => allowOnly(options, 'verify', ['store'])).toThrow(/^--kinds: not an option of `cm01 verify`/);
  });
});
