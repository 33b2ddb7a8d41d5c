import { existsSync } from 'node:fs';
import { readServersEnvFile, startServers } from '../../scripts/servers/servers.ts';

/**
 * Global setup of the `servers` test project: start Ceph RGW and DynamoDB Local once per run
 * and point the AWS SDK at them through the standard variables, which the test workers
 * inherit. `CM01_TEST_SERVERS_ENV=FILE` (written by `scripts/servers/servers.ts start`) reuses
 * servers that already run, for a fast development loop; those are left running.
 */

const SERVER_VARIABLES = [
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_REGION',
] as const;

export default async function setup(): Promise<() => Promise<void>> {
  // A session token or profile from the developer's own AWS setup must not leak into requests.
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  const reuse = process.env.CM01_TEST_SERVERS_ENV;
  if (reuse) {
    if (!existsSync(reuse)) throw new Error(`CM01_TEST_SERVERS_ENV=${reuse}: no such env file`);
    const env = readServersEnvFile(reuse);
    for (const name of SERVER_VARIABLES) {
      const value = env[name];
      if (!value) throw new Error(`CM01_TEST_SERVERS_ENV=${reuse}: ${name} is missing`);
      process.env[name] = value;
    }
    return async () => {};
  }
  const servers = await startServers();
  for (const name of SERVER_VARIABLES) process.env[name] = servers.env[name];
  process.stderr.write(`local servers started in ${(servers.startMs / 1000).toFixed(1)} s\n`);
  return async () => {
    await servers.stop();
  };
}
