import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN, type Emulator, startEmulator } from '../../emulator/server.ts';
import { loadWorld, type World } from '../../emulator/world.ts';
import { DEMO_WORLD_FILE } from '../../emulator/worlds/build-demo.ts';
import { createGitHubClient } from '../../lambdas/adapters/github/client.ts';
import { openStore } from '../../lambdas/adapters/open-store.ts';
import { InputError } from '../../lambdas/errors.ts';
import {
  buildPackHandler,
  collectorHandler,
  type JobDeps,
  listRepositoriesHandler,
} from '../../lambdas/runtime/jobs.ts';

/**
 * Bad events at the Lambda door (issue 8): each is given to a real handler — the collectors, the
 * repository lister of the fan-out and the monthly pack — wired to the embedded store and the
 * GitHub emulator over HTTP. Each must be refused with an `InputError` naming the field, and
 * leave the store as it was: not one object, index row or folder.
 */
type HandlerName = 'collect' | 'list' | 'pack';

interface BadEvent {
  readonly name: string;
  readonly event: unknown;
  readonly field: string;
  /** Which handlers to try it on; default all three. */
  readonly handlers?: readonly HandlerName[];
}

const windows: BadEvent[] = [
  { name: 'a month 13', event: { period: '2026-13' }, field: 'period' },
  { name: 'a month 00', event: { period: '2026-00' }, field: 'period' },
  { name: 'a period that is a number', event: { period: 202610 }, field: 'period' },
  { name: 'a period that is a date', event: { period: '2026-10-01' }, field: 'period' },
  { name: 'February 30th', event: { from: '2026-02-30', to: '2026-03-02' }, field: 'from' },
  { name: 'a leap day in a common year', event: { from: '2026-02-29', to: '2026-03-02' }, field: 'from' },
  { name: 'an hour 24', event: { from: '2026-10-01T24:00Z', to: '2026-10-02' }, field: 'from' },
  { name: 'a "to" of April 31st', event: { from: '2026-04-01', to: '2026-04-31' }, field: 'to' },
  { name: 'epoch milliseconds', event: { from: 1_790_000_000_000, to: '2026-10-02' }, field: 'from' },
  { name: '"from" after "to"', event: { from: '2026-10-05', to: '2026-10-01' }, field: 'to' },
  { name: '"from" without "to"', event: { from: '2026-10-01' }, field: 'to' },
  { name: '"to" without "from"', event: { to: '2026-10-01' }, field: 'from' },
  {
    name: '"period" and "from"/"to"',
    event: { period: '2026-10', from: '2026-10-01', to: '2026-10-05' },
    field: 'period',
  },
  { name: 'a future month', event: { period: '2027-01' }, field: 'period' },
  { name: 'a future range', event: { from: '2026-11-15', to: '2026-12-01' }, field: 'from' },
  { name: 'a schedule with a period', event: { schedule: 'monthly', period: '2026-09' }, field: 'schedule' },
  { name: 'an unknown schedule', event: { schedule: 'weekly' }, field: 'schedule' },
];

const shapes: BadEvent[] = [
  { name: 'an unknown field', event: { perod: '2026-10' }, field: 'perod' },
  {
    name: 'an extra field beside a good window',
    event: { period: '2026-10', dryRun: true },
    field: 'dryRun',
  },
  { name: 'a string', event: 'period=2026-10', field: 'event' },
  { name: 'an array', event: [{ period: '2026-10' }], field: 'event' },
  { name: 'a number', event: 42, field: 'event' },
  { name: 'repos as a string', event: { period: '2026-10', repos: 'web-app' }, field: 'repos' },
  { name: 'an empty repos list', event: { period: '2026-10', repos: [] }, field: 'repos' },
  { name: 'an empty repository name', event: { period: '2026-10', repos: [''] }, field: 'repos.0' },
  {
    name: 'a repository name with a space',
    event: { period: '2026-10', repos: ['web app'] },
    field: 'repos.0',
  },
  {
    name: 'a repository named twice',
    event: { period: '2026-10', repos: ['web-app', 'web-app'] },
    field: 'repos',
  },
  {
    name: 'a repository of another organisation',
    event: { period: '2026-10', repos: ['web-app', 'evil-corp/web-app'] },
    field: 'repos.1',
  },
  { name: 'a profile that is not shipped', event: { period: '2026-10', profile: 'sox' }, field: 'profile' },
  {
    name: 'a profile given as a path (a function reads no caller’s files)',
    event: { period: '2026-10', profile: '/etc/passwd' },
    field: 'profile',
  },
  { name: 'a profile that is a number', event: { period: '2026-10', profile: 1 }, field: 'profile' },
];

const fanOut: BadEvent[] = [
  {
    name: 'a fan-out item with "period" beside "repo"',
    event: { repo: 'acme/web-app', period: '2026-10' },
    field: 'repo',
    handlers: ['collect'],
  },
  {
    name: 'a fan-out item with "repos" beside "repo"',
    event: { repo: 'acme/web-app', input: { period: '2026-10' }, repos: ['infra'] },
    field: 'repo',
    handlers: ['collect'],
  },
  {
    name: 'a fan-out item with "repos" in its input',
    event: { repo: 'acme/web-app', input: { period: '2026-10', repos: ['infra'] } },
    field: 'repos',
    handlers: ['collect'],
  },
  {
    name: 'a fan-out item with an extra field',
    event: { repo: 'acme/web-app', input: { period: '2026-10' }, index: 3 },
    field: 'index',
    handlers: ['collect'],
  },
  {
    name: 'a fan-out item whose repo is a number',
    event: { repo: 7, input: { period: '2026-10' } },
    field: 'repo',
    handlers: ['collect'],
  },
  {
    name: 'a fan-out item whose repo is empty',
    event: { repo: '', input: { period: '2026-10' } },
    field: 'repo',
    handlers: ['collect'],
  },
  {
    name: 'a fan-out item of another organisation',
    event: { repo: 'evil-corp/web-app', input: { period: '2026-10' } },
    field: 'repo',
    handlers: ['collect'],
  },
  {
    name: 'a fan-out item whose input is a string',
    event: { repo: 'acme/web-app', input: '2026-10' },
    field: 'input',
    handlers: ['collect'],
  },
  {
    name: 'a fan-out item whose input has an impossible date',
    event: { repo: 'acme/web-app', input: { from: '2026-02-30', to: '2026-03-02' } },
    field: 'from',
    handlers: ['collect'],
  },
  {
    name: 'a fan-out item whose input has an unknown field',
    event: { repo: 'acme/web-app', input: { period: '2026-10', kinds: ['teams'] } },
    field: 'kinds',
    handlers: ['collect'],
  },
  {
    name: 'a fan-out input without its repo',
    event: { input: { period: '2026-10' } },
    field: 'repo',
    handlers: ['collect'],
  },
  {
    name: 'a fan-out item given to the repository lister',
    event: { repo: 'acme/web-app', input: { period: '2026-10' } },
    field: 'repo',
    handlers: ['list'],
  },
  {
    name: 'a fan-out item given to the monthly pack',
    event: { repo: 'acme/web-app', input: { period: '2026-10' } },
    field: 'repo',
    handlers: ['pack'],
  },
];

const CORPUS: readonly BadEvent[] = [...windows, ...shapes, ...fanOut];
const CASES = CORPUS.flatMap((badEvent) =>
  (badEvent.handlers ?? (['collect', 'list', 'pack'] as const)).map(
    (handler) => [`${handler}: ${badEvent.name}`, handler, badEvent] as const,
  ),
);

let world: World;
let emulator: Emulator;
let work: string;

beforeAll(async () => {
  world = await loadWorld(DEMO_WORLD_FILE);
  emulator = await startEmulator({ world, port: 0 });
  work = await mkdtemp(join(tmpdir(), 'cm01-bad-events-'));
});

afterAll(async () => {
  await emulator?.close();
  await rm(work, { recursive: true, force: true });
});

async function handlerOn(name: HandlerName, dir: string): Promise<(event: unknown) => Promise<unknown>> {
  const { store, index } = await openStore(`local:${dir}`);
  const github = createGitHubClient({ baseUrl: emulator.url, auth: { kind: 'token', token: DEFAULT_TOKEN } });
  const deps: JobDeps = { org: world.org, store, index, github, clock: () => new Date(world.now) };
  if (name === 'collect') return collectorHandler(['pull-requests', 'commits', 'teams'], async () => deps);
  if (name === 'pack') return buildPackHandler(async () => deps);
  return listRepositoriesHandler(async () => deps);
}

describe('the Lambda handlers refuse bad events', () => {
  it('hold at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES)('%s', async (_name, handlerName, badEvent) => {
    const dir = join(work, `${handlerName}-${CASES.findIndex(([n]) => n === _name)}`);
    const handler = await handlerOn(handlerName, dir);

    const error = await handler(badEvent.event).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error, 'refused').toBeInstanceOf(InputError);
    expect((error as InputError).field).toBe(badEvent.field);
    expect((error as InputError).message).toContain(badEvent.field);
    // Nothing written: the store's folder was never even made.
    expect(existsSync(dir) ? readdirSync(dir, { recursive: true }) : []).toEqual([]);
  });
});
