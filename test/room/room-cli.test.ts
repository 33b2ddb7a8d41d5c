import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cm01Async } from '../cli/run-cli.ts';

/** `cm01 room` refuses bad input before opening anything, as every command does (cli.md: exit 2). */
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cm01-room-cli-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('cm01 room: bad input', () => {
  it('names a port that is not one (exit 2), with no stack trace', async () => {
    const result = await cm01Async(['room', '--port', '70000', '--store', `local:${work}`]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--port: "70000" is not a port number/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses --port with --out: a static copy is not served (exit 2)', async () => {
    const result = await cm01Async([
      'room',
      '--port',
      '8080',
      '--out',
      join(work, 'copy'),
      '--store',
      `local:${work}`,
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--port: not with --out/);
  });

  it('fails at start, naming the store, when there is no store to read (exit 1)', async () => {
    const result = await cm01Async(['room', '--store', `local:${join(work, 'absent')}`]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/no store at .*absent/);
  });

  it('is listed in the help', async () => {
    const result = await cm01Async(['--help']);
    expect(result.stdout).toMatch(/room\s+.*evidence room/);
  });
});
