import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { readRoom } from '../../../lambdas/app/room.ts';
import { answerRoomRequest, RoomReader, staticRoomFiles } from '../../../lambdas/app/room-site.ts';
import { describeError } from '../../../lambdas/errors.ts';
import { ROOM_CSP } from '../../../lambdas/room/assets.ts';
import { packFilePath, ROOM_INDEX } from '../../../lambdas/room/paths.ts';
import { openReadableStore } from '../compose.ts';
import type { CliContext, ExitStatus } from '../context.ts';
import { assertWritableFolder } from '../files.ts';
import { addJsonOption, addStoreOption, type StoreOptions, storeUrlOf, UsageError } from '../options.ts';
import type { Reporter } from '../output.ts';

interface RoomOptions extends StoreOptions {
  readonly port?: string;
  readonly out?: string;
  readonly json?: boolean;
}

/** Loopback only: the room is for the person at this machine, never the network. */
const LOOPBACK = '127.0.0.1';

/** `cm01 room`: the auditor's evidence room, served read-only on loopback (or written to a folder). */
export function roomCommand(cli: CliContext): Command {
  const command = new Command('room')
    .summary("serve the auditor's evidence room: packs, exceptions, evidence and trends in a browser")
    .description(
      'Serve a read-only web view of the store on 127.0.0.1: the packs by period and profile with ' +
        'their seal status, each pack’s exceptions (filterable) with the evidence object each cites, ' +
        'and trends across months. Reads only what the auditor’s read-only role can read. ' +
        'Stops on Ctrl+C. With --out, writes the same pages as static files instead.',
    );
  addStoreOption(command);
  command
    .option('--port <N>', 'the port to listen on (default 0: any free port, printed)')
    .option('--out <DIR>', 'write a static copy of the room and the packs’ files to DIR instead of serving');
  addJsonOption(command);
  return command.action(cli.action(room));
}

function portOf(value: string | undefined): number {
  if (value === undefined) return 0;
  if (!/^\d+$/.test(value) || Number(value) > 65_535) {
    throw new UsageError('--port', `"${value}" is not a port number (0 to 65535)`);
  }
  return Number(value);
}

async function room(options: RoomOptions, reporter: Reporter): Promise<ExitStatus> {
  const port = portOf(options.port);
  const storeUrl = storeUrlOf(options);
  if (options.out !== undefined && options.port !== undefined) {
    throw new UsageError('--port', 'not with --out: a static copy is written, not served');
  }
  const store = await openReadableStore(storeUrl);
  if (options.out !== undefined) return exportRoom(store, resolve(options.out), reporter);

  const reader = new RoomReader({ store });
  await reader.current(); // A store that cannot be read fails now, not at the first page view.
  const server = createServer((request, response) => {
    serve(reader, request, response).catch((error: unknown) => {
      reporter.notice(`cm01 room: ${request.url ?? ''}: ${describeError(error)}`);
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('The room could not read the store; see the terminal.\n');
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', (error) =>
      fail(new UsageError('--port', `cannot listen on ${LOOPBACK}:${port}: ${describeError(error)}`)),
    );
    server.listen(port, LOOPBACK, () => done());
  });
  const { port: actual } = server.address() as AddressInfo;
  const url = `http://${LOOPBACK}:${actual}/${ROOM_INDEX}`;
  reporter.result([`The evidence room of ${store.location}, read-only: ${url}`, 'Press Ctrl+C to stop.'], {
    url,
    store: store.location,
  });
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await new Promise<void>((done) => {
    server.close(() => done());
    server.closeAllConnections();
  });
  reporter.notice('cm01 room: stopped');
  return 0;
}

async function serve(reader: RoomReader, request: IncomingMessage, response: ServerResponse) {
  // A page of another site could reach loopback through DNS rebinding; answer only our own host names.
  const host = (request.headers.host ?? '').toLowerCase();
  const hostName = host.replace(/:\d+$/, '');
  if (hostName !== LOOPBACK && hostName !== 'localhost') {
    response.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' });
    response.end('misdirected request\n');
    return;
  }
  const answer = await answerRoomRequest(reader, {
    method: request.method ?? 'GET',
    url: request.url ?? '/',
  });
  response.writeHead(answer.status, {
    'content-type': answer.contentType,
    'content-length': String(answer.body.length),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy': ROOM_CSP,
    ...(answer.status === 405 ? { allow: 'GET, HEAD' } : {}),
    ...(answer.location ? { location: answer.location } : {}),
  });
  response.end(request.method === 'HEAD' ? undefined : answer.body);
}

/** The static room, plus the packs' files it links to, in a folder that opens in any browser. */
async function exportRoom(
  store: Awaited<ReturnType<typeof openReadableStore>>,
  out: string,
  reporter: Reporter,
): Promise<ExitStatus> {
  await assertWritableFolder(out, '--out');
  const deps = { store };
  const roomRead = await readRoom(deps);
  let files = 0;
  const write = async (path: string, body: Uint8Array) => {
    const target = join(out, ...path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, body);
    files++;
  };
  for await (const file of staticRoomFiles(deps, roomRead)) await write(file.path, file.body);
  for (const pack of roomRead.packs) {
    for (const file of pack.files) {
      await write(packFilePath(file.key), (await store.get(file.key, file.versionId)).body);
    }
  }
  const index = join(out, ...ROOM_INDEX.split('/'));
  reporter.result([`Wrote the evidence room (${files} files) to ${out}: open ${index}`], {
    out,
    index,
    files,
  });
  return 0;
}
