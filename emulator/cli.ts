/**
 * Serve a `github-world/1` file as GitHub would, until killed:
 *
 *   npx tsx emulator/cli.ts WORLD.json [--port N] [--token TOKEN] [--login LOGIN]
 *
 * Prints the base URL and the token to use (`Authorization: bearer <token>`).
 */
import { parseArgs } from 'node:util';
import { describeError, InputError } from '../lambdas/errors.ts';
import { DEFAULT_LOGIN, DEFAULT_TOKEN, startEmulator } from './server.ts';
import { loadWorld } from './world.ts';

const USAGE = 'usage: emulator/cli.ts WORLD.json [--port N] [--token TOKEN] [--login LOGIN]';

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error: unknown) {
    process.stderr.write(`${describeError(error)}\n${USAGE}\n`);
    return 2;
  }
  const world = await loadWorld(parsed.worldPath);
  const emulator = await startEmulator({
    world,
    port: parsed.port,
    tokens: { [parsed.token]: parsed.login },
  });
  process.stdout.write(
    `GitHub emulator for ${world.org} (plan ${world.plan}, now ${world.now})\n` +
      `url:     ${emulator.url}\n` +
      `graphql: ${emulator.url}/graphql\n` +
      `token:   ${parsed.token} (login ${parsed.login})\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await emulator.close();
  return 0;
}

function parseCommandLine(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      token: { type: 'string' },
      login: { type: 'string' },
    },
  });
  const [worldPath, ...extra] = positionals;
  if (!worldPath || extra.length > 0) throw new InputError('WORLD.json', 'give exactly one world file');
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InputError('--port', `"${values.port}" is not a port number`);
  }
  return {
    worldPath,
    port,
    token: values.token ?? DEFAULT_TOKEN,
    login: values.login ?? DEFAULT_LOGIN,
  };
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(`${describeError(error)}\n`);
    process.exitCode = 1;
  },
);
