import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRunning } from '../../scripts/servers/processes.ts';
import { readServersEnvFile, stopServersFromEnvFile } from '../../scripts/servers/servers.ts';

/** The env file written by `servers.ts start` and how `stop` uses it — with a stand-in process. */

const scratch = mkdtempSync(join(tmpdir(), 'cm01-env-file-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('servers env file', () => {
  it('reads exported, quoted and plain KEY=value lines', () => {
    const file = join(scratch, 'read.env');
    writeFileSync(
      file,
      "export AWS_REGION='us-east-1'\nAWS_ENDPOINT_URL_S3=http://127.0.0.1:1\n# comment\n\n",
    );

    expect(readServersEnvFile(file)).toEqual({
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1',
    });
  });

  it('stops each listed process by its pid and removes only folders the tool made', async () => {
    const standIn = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const pid = standIn.pid ?? 0;
    const ours = join(tmpdir(), `cm01-rgw-test${process.pid}`);
    const foreign = join(scratch, 'precious');
    mkdirSync(ours, { recursive: true });
    mkdirSync(foreign, { recursive: true });
    const file = join(scratch, 'stop.env');
    writeFileSync(
      file,
      `export CM01_SERVERS_PIDS='stand-in:${pid}:sleep'\nexport CM01_SERVERS_DIRS='${ours}:${foreign}'\n`,
    );

    await stopServersFromEnvFile(file);

    expect(isRunning({ name: 'stand-in', pid, executable: 'sleep' })).toBe(false);
    expect(existsSync(ours)).toBe(false);
    expect(existsSync(foreign)).toBe(true);
    expect(existsSync(file)).toBe(false);
  });

  it('leaves alone a pid that now runs another program', async () => {
    const other = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const pid = other.pid ?? 0;
    const file = join(scratch, 'reused.env');
    writeFileSync(file, `export CM01_SERVERS_PIDS='radosgw:${pid}:radosgw'\n`);

    await stopServersFromEnvFile(file);

    expect(isRunning({ name: 'other', pid, executable: 'sleep' })).toBe(true);
    process.kill(pid, 'SIGKILL');
  });
});
