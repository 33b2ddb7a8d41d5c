import { describe, expect, it } from 'vitest';
import { UsageError, windowFromOptions } from '../../bin/cli/options.ts';
import { runCli } from '../../bin/cli/program.ts';

/** Runs the program in this process on arguments that are refused or only print help. */
async function cli(argv: string[]): Promise<{ status: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const status = await runCli(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { status, out: out.join(''), err: err.join('') };
}

describe('command-line window options', () => {
  it('reads a period window', () => {
    expect(windowFromOptions({ period: '2026-10' })?.from).toBe('2026-10-01T00:00:00.000Z');
  });

  it('labels a from/to window with both dates', () => {
    expect(windowFromOptions({ from: '2026-10-01', to: '2026-10-16' })?.label).toBe('2026-10-01_2026-10-16');
  });

  it('has no window when none is given', () => {
    expect(windowFromOptions({})).toBeUndefined();
  });

  it.each([
    [{ period: '2026-13' }, '--period'],
    [{ from: '2026-10-10', to: '2026-10-01' }, '--to'],
    [{ period: '2026-10', from: '2026-10-01' }, '--period'],
    [{ from: 'yesterday', to: '2026-10-01' }, '--from'],
    [{ to: '2026-10-01' }, '--from'],
  ])('refuses %j as a usage error naming %s', (options, field) => {
    const attempt = () => windowFromOptions(options);
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(new RegExp(`^${field}:`));
  });
});

describe('command-line parsing', () => {
  it.each([
    [['run', '--perod', '2026-10'], /unknown option '--perod'/],
    [['verify', 'x.pdf', '--kinds', 'teams'], /unknown option '--kinds'/],
    // Stray and missing arguments are named by the command itself (test/cli/cli.test.ts).
    [['store', 'init'], /required option '--store <URL>'/],
    [['store', 'destroy', '--store', 'local:x'], /unknown command 'destroy'/],
    [['packs', 'download', '--store', 'local:x'], /required option '--period/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['run', '--period'], /option '--period <YYYY-MM>' argument missing/],
    [['run', '--json=yes'], /--json/],
  ])('cm01 %j is a usage error (exit 2) naming what is wrong', async (argv, message) => {
    const { status, err } = await cli(argv);
    expect(status).toBe(2);
    expect(err).toMatch(message);
    expect(err).not.toMatch(/\n\s+at /);
  });

  it('prints the help of one command for `cm01 <command> --help`, not the overview', async () => {
    const verify = await cli(['verify', '--help']);
    expect(verify.status).toBe(0);
    expect(verify.out).toMatch(/^Usage: cm01 verify \[options\] \[PACK\.pdf\]/);
    expect(verify.out).not.toMatch(/Commands:/);
    const download = await cli(['packs', 'download', '--help']);
    expect(download.out).toMatch(/^Usage: cm01 packs download/);
    expect(download.out).toMatch(/--url-only/);
    expect((await cli(['help', 'run'])).out).toMatch(/--allow-incomplete/);
  });

  it('prints the overview, as a usage error, when no command is given', async () => {
    const { status, err } = await cli([]);
    expect(status).toBe(2);
    expect(err).toMatch(/Commands:\n\s+run/);
  });
});
