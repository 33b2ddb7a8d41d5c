import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `CM01_DEBUG` prints the cause of a failure; it must never print a credential. A server
 * standing in for GitHub refuses the token and echoes it back in its error (as a proxy or a
 * misbehaving server might), so the cause the command line holds really carries it.
 */
const CM01 = fileURLToPath(new URL('../../bin/cm01.js', import.meta.url));
let server: Server;
let url: string;
const received: string[] = [];
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cm01-debug-'));
  server = createServer((request, response) => {
    const authorization = request.headers.authorization ?? '';
    received.push(authorization);
    response.writeHead(401, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ message: `Bad credentials: ${authorization}`, status: '401' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(work, { recursive: true, force: true });
});

function cm01Async(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const clean: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env))
      if (!/^(GITHUB_|CM01_)/.test(name)) clean[name] = value;
    const child = spawn(process.execPath, [CM01, ...args], { cwd: work, env: { ...clean, ...env } });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

describe('CM01_DEBUG', () => {
  it('prints the cause of a refused credential without the credential', async () => {
    const token = `${'gh'}p_${randomBytes(18).toString('hex')}`;
    const result = await cm01Async(
      ['collect', '--org', 'acme', '--period', '2026-10', '--store', `local:${join(work, 'store')}`],
      { GITHUB_TOKEN: token, GITHUB_API_URL: url, CM01_DEBUG: '1' },
    );
    expect(
      received.some((header) => header.includes(token)),
      'the server saw the token',
    ).toBe(true);
    expect(result.status, result.output).toBe(1);
    expect(result.output).toMatch(/401/);
    expect(result.output, 'the cause is printed').toMatch(/\[REDACTED\]/);
    expect(result.output).not.toContain(token);
    expect(result.output).not.toContain(token.slice(4));
    expect(await readdir(work)).toEqual([]);
  });
});
