import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startRgw } from './ceph-rgw.ts';
import { startDynamoDbLocal } from './dynamodb-local.ts';
import { cleanUpOnExit, handOver, removeDir, type StartedProcess, stopProcesses } from './processes.ts';

/**
 * The local servers the store adapters are tested and benchmarked against: Ceph RGW (S3 with
 * versioning and Object Lock) and DynamoDB Local, each on a free loopback port in its own
 * temporary folder.
 *
 *   npx tsx scripts/servers/servers.ts start [--servers-env FILE]   # prints and writes the env file
 *   npx tsx scripts/servers/servers.ts stop  [--servers-env FILE]
 *
 * The env file is shell-sourceable (`. FILE`) and is what the tests reuse through
 * `CM01_TEST_SERVERS_ENV=FILE` for a fast development loop.
 */

export interface LocalServers {
  readonly s3Endpoint: string;
  readonly dynamoEndpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  /** Milliseconds from the call to both servers answering. */
  readonly startMs: number;
  /** The AWS SDK environment that points at these servers. */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

export interface StartServersOptions {
  /** Kill the servers when this process exits or is interrupted (default true). */
  readonly stopOnExit?: boolean;
  readonly log?: (line: string) => void;
}

/** Under `.servers/`, which git ignores. */
export const DEFAULT_ENV_FILE = '.servers/servers.env';
const REGION = 'us-east-1';

export async function startServers(options: StartServersOptions = {}): Promise<LocalServers> {
  const started = Date.now();
  // Also while starting: an interrupted start must not leave daemons behind.
  cleanUpOnExit();
  // DynamoDB Local refuses keys with anything but letters and digits.
  const accessKeyId = `cm01${randomBytes(8).toString('hex')}`;
  const secretAccessKey = randomBytes(20).toString('hex');
  const [rgwResult, dynamoResult] = await Promise.allSettled([
    startRgw({ accessKeyId, secretAccessKey, ...(options.log ? { log: options.log } : {}) }),
    startDynamoDbLocal(options.log ? { log: options.log } : {}),
  ]);
  if (rgwResult.status === 'rejected' || dynamoResult.status === 'rejected') {
    const started_ = [rgwResult, dynamoResult].flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    await Promise.all(started_.map((s) => stopProcesses([...s.processes].reverse())));
    for (const s of started_) removeDir(s.dir);
    throw rgwResult.status === 'rejected' ? rgwResult.reason : (dynamoResult as PromiseRejectedResult).reason;
  }
  const rgw = rgwResult.value;
  const dynamo = dynamoResult.value;
  const processes: StartedProcess[] = [...rgw.processes, ...dynamo.processes];
  const dirs = [rgw.dir, dynamo.dir];
  const env: Record<string, string> = {
    AWS_ENDPOINT_URL_S3: rgw.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_REGION: REGION,
    CM01_SERVERS_PIDS: processes.map((p) => `${p.name}:${p.pid}:${p.executable}`).join(','),
    CM01_SERVERS_DIRS: dirs.join(':'),
  };

  if (!(options.stopOnExit ?? true)) handOver(processes, dirs);
  return {
    s3Endpoint: rgw.endpoint,
    dynamoEndpoint: dynamo.endpoint,
    accessKeyId,
    secretAccessKey,
    region: REGION,
    startMs: Date.now() - started,
    env,
    async stop() {
      await Promise.all([stopProcesses([...rgw.processes].reverse()), stopProcesses(dynamo.processes)]);
      for (const dir of dirs) removeDir(dir);
    },
  };
}

/** Read an env file written by `start` (KEY=value lines, optionally prefixed with `export`). */
export function readServersEnvFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^(?:export\s+)?([A-Z0-9_]+)=(?:'([^']*)'|(.*))$/.exec(line.trim());
    if (match?.[1]) env[match[1]] = match[2] ?? match[3] ?? '';
  }
  return env;
}

function writeServersEnvFile(path: string, env: Readonly<Record<string, string>>): void {
  mkdirSync(dirname(path), { recursive: true });
  const lines = Object.entries(env).map(([key, value]) => `export ${key}='${value}'`);
  writeFileSync(path, `${lines.join('\n')}\n`, { mode: 0o600 });
}

/** Stop servers described by an env file: each process by its own pid, then remove their folders. */
export async function stopServersFromEnvFile(path: string): Promise<void> {
  const env = readServersEnvFile(path);
  const processes = (env.CM01_SERVERS_PIDS ?? '')
    .split(',')
    .filter(Boolean)
    .map((entry): StartedProcess => {
      const [name = '', pid = '', executable = ''] = entry.split(':');
      return { name, pid: Number(pid), executable };
    })
    .filter((p) => Number.isInteger(p.pid) && p.pid > 0);
  await stopProcesses([...processes].reverse());
  for (const dir of (env.CM01_SERVERS_DIRS ?? '').split(':').filter(Boolean)) {
    // Only folders this tool made: never remove anything else an edited env file names.
    if (/\/cm01-(rgw|dynamodb)-[^/]+$/.test(dir)) removeDir(dir);
  }
  rmSync(path, { force: true });
}

async function main(argv: readonly string[]): Promise<number> {
  const [command] = argv;
  const envFileFlag = argv.indexOf('--servers-env');
  const envFile = resolve(envFileFlag >= 0 ? (argv[envFileFlag + 1] ?? DEFAULT_ENV_FILE) : DEFAULT_ENV_FILE);
  if (command === 'start') {
    if (existsSync(envFile)) {
      process.stderr.write(
        `${envFile} exists: servers may already run; stop them first (stop --servers-env ${envFile})\n`,
      );
      return 1;
    }
    const servers = await startServers({
      stopOnExit: false,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    writeServersEnvFile(envFile, servers.env);
    process.stderr.write(
      `servers started in ${(servers.startMs / 1000).toFixed(1)} s; env file ${envFile}\n`,
    );
    for (const [key, value] of Object.entries(servers.env))
      process.stdout.write(`export ${key}='${value}'\n`);
    return 0;
  }
  if (command === 'stop') {
    if (!existsSync(envFile)) {
      process.stderr.write(`${envFile} not found: nothing to stop\n`);
      return 0;
    }
    await stopServersFromEnvFile(envFile);
    process.stderr.write(`servers stopped; ${envFile} removed\n`);
    return 0;
  }
  process.stderr.write('usage: servers.ts start|stop [--servers-env FILE]\n');
  return 2;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (status) => process.exit(status),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
