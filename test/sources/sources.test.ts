import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorldInput } from '../../emulator/world.ts';
import { cm01 } from '../cli/run-cli.ts';
import { addMinutes, WorldBuilder } from '../emulator/world-builder.ts';
import { runOnWorld, type SourcesRun } from './sources-harness.ts';

const SOURCE_GAPS: readonly string[] = ['linear-tickets', 'better-stack-incidents', 'better-stack-on-call'];

/**
 * Each rule that reads Linear or Better Stack, judged on evidence collected from the emulated
 * services over HTTP: how an engineer could get a change past the rule, and that the rule
 * catches it; that an unreachable source is a gap (unknown), never "not configured".
 */

interface Scenario {
  readonly input: WorldInput;
  /** Merge commit SHAs by PR number. */
  readonly merges: Map<number, string>;
}

const EMERGENCY_COMMENTS = (mergedAt: string) => [
  {
    author: 'frank',
    createdAt: addMinutes(mergedAt, 60),
    body: 'Retrospective: rolled forward, see incident.',
  },
  {
    author: 'frank',
    createdAt: addMinutes(mergedAt, 120),
    body: 'Post-mortem: https://wiki.acme.example/pm/42',
  },
];

function scenario(): Scenario {
  const world = new WorldBuilder({ start: '2026-09-30T00:00:00Z' });
  world.user('alice').user('bob').user('erin').user('mallory').team('incident-commanders', ['frank']);
  const repo = world.repo('api');
  const merges = new Map<number, string>();
  const merge = (
    number: number,
    mergedAt: string,
    options: { title: string; head?: string; body?: string; labelledBy?: string; labelledAt?: string },
  ) => {
    const pr = repo.mergePullRequest({
      number,
      author: 'alice',
      mergedAt,
      title: options.title,
      // A branch name without a `word-123` part: branches are matched in any case.
      head: options.head ?? `alice/topic-${'abcdefgh'[number]}`,
      ...(options.body ? { body: options.body } : {}),
      ...(options.labelledBy
        ? {
            labels: [
              {
                name: 'emergency-change',
                addedBy: options.labelledBy,
                addedAt: options.labelledAt ?? addMinutes(mergedAt, -5),
                removedAt: null,
              },
            ],
            comments: EMERGENCY_COMMENTS(mergedAt),
          }
        : {}),
    });
    merges.set(number, pr.mergeCommit as string);
    repo.deployment({
      sha: pr.mergeCommit as string,
      createdAt: addMinutes(mergedAt, 10),
      statuses: [{ state: 'success', createdAt: addMinutes(mergedAt, 15), creator: 'deploy-bot' }],
    });
  };
  merge(1, '2026-10-02T10:00:00Z', { title: 'ENG-12 Add refunds' });
  merge(2, '2026-10-03T10:00:00Z', { title: 'ENG-999 Invented ticket' });
  merge(3, '2026-10-04T10:00:00Z', {
    title: 'Tidy the docs',
    body: 'Tracked in https://linear.app/acme/issue/ENG-13',
  });
  // Erin is on call as Incident Commander on 10 October but is not in the GitHub team.
  merge(4, '2026-10-10T12:00:00Z', { title: 'ENG-14 Hotfix checkout', labelledBy: 'erin' });
  // Mallory labels her own emergency while Erin is on call.
  merge(5, '2026-10-10T15:00:00Z', { title: 'ENG-15 Quick fix', labelledBy: 'mallory' });
  // Erin again, but on 20 October, when Frank is on call.
  merge(6, '2026-10-20T12:00:00Z', { title: 'ENG-16 Another hotfix', labelledBy: 'erin' });
  const input = world.toInput();
  return {
    merges,
    input: {
      ...input,
      linear: {
        issues: [
          { identifier: 'ENG-12', title: 'Refunds', state: 'Done', createdAt: '2026-09-20T09:00:00Z' },
          { identifier: 'ENG-13', title: 'Docs', state: 'In Progress', createdAt: '2026-09-21T09:00:00Z' },
          { identifier: 'ENG-14', title: 'Checkout down', state: 'Done', createdAt: '2026-10-10T11:00:00Z' },
          { identifier: 'ENG-15', title: 'Quick fix', state: 'Done', createdAt: '2026-10-10T14:00:00Z' },
          { identifier: 'ENG-16', title: 'Hotfix', state: 'Done', createdAt: '2026-10-20T11:00:00Z' },
        ],
      },
      betterStack: {
        incidents: [
          {
            id: '501',
            name: 'Refund 5xx',
            startedAt: '2026-10-02T11:00:00Z',
            resolvedAt: '2026-10-02T12:00:00Z',
            cause: 'bad deploy',
            commander: 'frank',
            references: ['acme/api#1'],
          },
          {
            id: '502',
            name: 'Latency',
            startedAt: '2026-10-03T11:00:00Z',
            resolvedAt: '2026-10-03T11:30:00Z',
            cause: 'regression',
            commander: 'frank',
            references: [merges.get(2) as string],
          },
          {
            id: '503',
            name: 'Database host failure',
            startedAt: '2026-10-12T11:00:00Z',
            resolvedAt: '2026-10-12T13:00:00Z',
            cause: 'hardware',
            commander: 'erin',
            references: [],
          },
          {
            id: '504',
            name: 'Old bug',
            startedAt: '2026-10-15T11:00:00Z',
            resolvedAt: null,
            cause: 'a PR of last year',
            commander: null,
            references: ['acme/api#77'],
          },
        ],
        onCall: [
          {
            calendar: 'Incident Commanders',
            login: 'erin',
            from: '2026-10-09T00:00:00Z',
            to: '2026-10-16T00:00:00Z',
          },
          {
            calendar: 'Incident Commanders',
            login: 'frank',
            from: '2026-10-16T00:00:00Z',
            to: '2026-10-23T00:00:00Z',
          },
          // On call in another calendar: not an Incident Commander.
          {
            calendar: 'Database',
            login: 'mallory',
            from: '2026-10-01T00:00:00Z',
            to: '2026-11-01T00:00:00Z',
          },
        ],
      },
    },
  };
}

describe('Linear and Better Stack configured (emulated over HTTP)', () => {
  let run: SourcesRun;
  beforeAll(async () => {
    run = await runOnWorld(scenario().input);
  });
  afterAll(async () => run?.close());

  it('records both sources as consulted, with no gap', () => {
    const gaps = run.summary.gaps.filter((gap) => SOURCE_GAPS.includes(gap.withholds));
    expect(gaps).toEqual([]);
    expect(run.summary.errors).toEqual([]);
    expect(run.summary.counts['linear-ticket']).toBe(6);
    expect(run.summary.counts.incident).toBe(4);
    expect(run.summary.counts['on-call']).toBe(2);
  });

  it('looks every ticket key up in one batched query, not one request per key', () => {
    const linear = run.emulator.requestLog.filter((entry) => entry.path === '/linear/graphql');
    // One `viewer` (the credential check) and one `TicketsByKey` for all six keys.
    expect(linear).toHaveLength(2);
    expect(linear.every((entry) => entry.status === 200)).toBe(true);
  });

  it('TICKET-LINKED passes a key that exists in Linear, in the title or as a link in the body', () => {
    expect(run.verdict(1, 'TICKET-LINKED')).toBe('pass');
    expect(run.verdict(3, 'TICKET-LINKED')).toBe('pass');
  });

  it('TICKET-LINKED fails a well-formed key that names no ticket, naming the key', () => {
    expect(run.verdict(2, 'TICKET-LINKED')).toBe('fail');
    expect(run.exception(2, 'TICKET-LINKED')).toMatch(/ENG-999, but Linear has no ticket of that key/);
  });

  it('EMERGENCY accepts the label from the on-call Incident Commander who is not in the GitHub team', () => {
    expect(run.verdict(4, 'EMERGENCY')).toBe('pass');
    const row = run.model.emergencies.find((emergency) => emergency.prNumber === 4);
    expect(row?.reasons.join(' ')).toMatch(/erin .*on call in Better Stack's "Incident Commanders" calendar/);
  });

  it('EMERGENCY refuses a label added by someone not on call, while a commander was', () => {
    expect(run.verdict(5, 'EMERGENCY')).toBe('fail');
    expect(run.exception(5, 'EMERGENCY')).toMatch(
      /mallory .*not by an Incident Commander.*erin@acme\.example/,
    );
  });

  it('EMERGENCY refuses a label added by a commander outside their shift', () => {
    expect(run.verdict(6, 'EMERGENCY')).toBe('fail');
    expect(run.exception(6, 'EMERGENCY')).toMatch(/erin .*frank@acme\.example/);
  });

  it('CHANGE-FAILURE-RATE counts the changes incidents name (PR and SHA), listing each incident', () => {
    const metric = run.model.metrics.find((m) => m.id === 'CHANGE-FAILURE-RATE');
    expect(metric).toMatchObject({ numerator: 2, denominator: 6, verdict: 'fail' });
    const detail = metric?.detail.join('\n') ?? '';
    expect(detail).toMatch(/incident 501 .*caused by acme\/api PR #1/);
    expect(detail).toMatch(/incident 502 .*caused by acme\/api PR #2 \(named as commit [0-9a-f]{7}\)/);
    expect(detail).toMatch(/incident 503 .*names no change as its cause \(not counted\)/);
    expect(detail).toMatch(/incident 504 .*acme\/api#77 is no change of the period \(not counted\)/);
    expect(metric?.title).toMatch(/Better Stack incident/);
  });

  it('names both sources with their provenance and does not list them as not configured', () => {
    const consulted = run.model.sourcesConsulted.join('\n');
    expect(consulted).toMatch(
      /Linear tickets: linear-graphql GraphQL TicketsByKey sha256:[0-9a-f]{64} \(http:\/\/127\.0\.0\.1:\d+\/linear\/graphql, as Linear Emulator/,
    );
    expect(consulted).toMatch(/Better Stack incidents: better-stack-rest GET \/api\/v2\/incidents/);
    expect(consulted).toMatch(
      /Better Stack on-call calendars: better-stack-rest GET \/api\/v2\/on-calls\/\{calendar_id\}\/events/,
    );
    expect(consulted).toMatch(/Linear: http:\/\/127\.0\.0\.1:\d+\/linear\/graphql \(consulted\)/);
    expect(run.model.sourcesNotConfigured.join(' ')).not.toMatch(/Linear|Better Stack/);
  });
});

describe('Linear and Better Stack not configured', () => {
  let run: SourcesRun;
  beforeAll(async () => {
    run = await runOnWorld(scenario().input, 'none');
  });
  afterAll(async () => run?.close());

  it('judges ticket references by pattern only, the commander by the GitHub team only, the rate by deployments', () => {
    expect(run.verdict(2, 'TICKET-LINKED')).toBe('pass');
    expect(run.verdict(4, 'EMERGENCY')).toBe('fail');
    expect(run.exception(4, 'EMERGENCY')).toMatch(/erin .*not by an Incident Commander/);
    const metric = run.model.metrics.find((m) => m.id === 'CHANGE-FAILURE-RATE');
    expect(metric).toMatchObject({ numerator: 0, denominator: 6, verdict: 'pass' });
    expect(run.model.sourcesNotConfigured.join(' ')).toMatch(/Linear.*Better Stack/);
  });
});

describe('Linear and Better Stack configured but unreachable', () => {
  let run: SourcesRun;
  beforeAll(async () => {
    run = await runOnWorld(scenario().input, {
      linearKey: 'lin_api_revoked',
      betterStackToken: 'revoked-token',
    });
  });
  afterAll(async () => run?.close());

  it('records a gap for each, never "not configured"', () => {
    const types = run.summary.gaps
      .map((gap) => gap.withholds)
      .filter((type) => SOURCE_GAPS.includes(type))
      .sort();
    expect(types).toEqual(['better-stack-incidents', 'better-stack-on-call', 'linear-tickets']);
    expect(run.summary.gaps.find((gap) => gap.withholds === 'linear-tickets')?.reason).toMatch(
      /configured \(.*\/linear\/graphql\) but could not be read: .*refused/,
    );
    // A failure of the run's tickets and incidents kinds, so the collection says it is incomplete.
    expect(run.summary.errors.map((error) => `${error.repo} ${error.source}`).sort()).toEqual([
      'null incidents',
      'null tickets',
    ]);
    expect(run.model.sourcesNotConfigured.join(' ')).not.toMatch(/Linear|Better Stack/);
    expect(run.model.sourcesConsulted.join('\n')).toMatch(/Linear: .* \(unreachable\)/);
  });

  it('leaves every verdict that needed them unknown, never pass', () => {
    expect(run.verdict(1, 'TICKET-LINKED')).toBe('unknown');
    expect(run.verdict(2, 'TICKET-LINKED')).toBe('unknown');
    // Erin is not in the team; whether she was on call cannot be read.
    expect(run.verdict(4, 'EMERGENCY')).toBe('unknown');
    const metric = run.model.metrics.find((m) => m.id === 'CHANGE-FAILURE-RATE');
    expect(metric?.verdict).toBe('unknown');
  });
});

describe('Better Stack whose on-call calendars fail after its incidents were read', () => {
  // A real server in front of the emulated Better Stack that answers 503 to every on-call request.
  let target = '';
  const proxy = createServer((request, response) => {
    const path = request.url ?? '/';
    if (path.includes('/on-calls')) {
      response.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":"maintenance"}');
      return;
    }
    fetch(`${target}${path}`, { headers: { authorization: request.headers.authorization ?? '' } })
      .then(async (answer) => {
        response.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
      })
      .catch(() => response.writeHead(502).end());
  });
  let run: SourcesRun;
  beforeAll(async () => {
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const port = (proxy.address() as AddressInfo).port;
    run = await runOnWorld(scenario().input, {
      betterStackThrough: (baseUrl) => {
        target = new URL(baseUrl).origin;
        return `http://127.0.0.1:${port}${new URL(baseUrl).pathname}`;
      },
    });
  });
  afterAll(async () => {
    await run?.close();
    proxy.close();
  });

  it('keeps the incidents and records only the on-call gap', () => {
    expect(run.summary.counts.incident).toBe(4);
    expect(run.summary.gaps.map((gap) => gap.withholds).filter((type) => SOURCE_GAPS.includes(type))).toEqual(
      ['better-stack-on-call'],
    );
    expect(run.summary.errors.map((error) => `${error.repo} ${error.source}`)).toEqual(['null incidents']);
  });

  it('judges the rate from the incidents, and leaves a label the GitHub team does not cover unknown', () => {
    const metric = run.model.metrics.find((m) => m.id === 'CHANGE-FAILURE-RATE');
    expect(metric).toMatchObject({ numerator: 2, denominator: 6, verdict: 'fail' });
    expect(run.verdict(4, 'EMERGENCY')).toBe('unknown');
    expect(run.verdict(5, 'EMERGENCY')).toBe('unknown');
  });
});

describe('the command line', () => {
  it('collects a world’s linear and betterStack sections with `cm01 collect --github-world FILE`, no other option', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cm01-sources-cli-'));
    try {
      const file = join(dir, 'world.json');
      await writeFile(file, JSON.stringify(scenario().input));
      const result = cm01(
        ['collect', '--github-world', file, '--period', '2026-10', '--store', `local:${dir}/store`, '--json'],
        { env: { LINEAR_API_KEY: '', BETTER_STACK_API_TOKEN: '' } },
      );
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const summary = JSON.parse(result.stdout) as { counts: Record<string, number>; gaps: unknown[] };
      expect(summary.counts).toMatchObject({ 'linear-ticket': 6, incident: 4, 'on-call': 2 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('never sends a credential from the environment to a world’s services, nor reads them for a world without sections', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cm01-sources-cli-'));
    try {
      const file = join(dir, 'world.json');
      const {
        linear: _linear,
        betterStack: _betterStack,
        ...githubOnly
      } = scenario().input as Record<string, unknown>;
      await writeFile(file, JSON.stringify(githubOnly));
      // Credentials pointing at a port nothing listens on: were they used, the run would fail.
      const result = cm01(
        ['collect', '--github-world', file, '--period', '2026-10', '--store', `local:${dir}/store`, '--json'],
        {
          env: {
            LINEAR_API_KEY: 'lin_api_real',
            LINEAR_API_URL: 'http://127.0.0.1:9/graphql',
            BETTER_STACK_API_TOKEN: 'real-token',
            BETTER_STACK_API_URL: 'http://127.0.0.1:9/api/v2',
          },
        },
      );
      expect(result.status).toBe(0);
      const summary = JSON.parse(result.stdout) as { counts: Record<string, number> };
      expect(summary.counts['linear-ticket']).toBeUndefined();
      expect(summary.counts.incident).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a source URL without its credential, with a world, or not https, as usage errors naming the option', () => {
    const base = ['collect', '--org', 'acme', '--period', '2026-10', '--store', 'local:/nonexistent/never'];
    const env = { GITHUB_TOKEN: 'ghp_x', LINEAR_API_KEY: '', BETTER_STACK_API_TOKEN: '' };
    const noKey = cm01([...base, '--linear-url', 'https://linear.example/graphql'], { env });
    expect(noKey.status).toBe(2);
    expect(noKey.stderr).toMatch(/--linear-url: .*LINEAR_API_KEY/);
    const plain = cm01([...base, '--better-stack-url', 'http://uptime.example/api/v2'], {
      env: { ...env, BETTER_STACK_API_TOKEN: 'token' },
    });
    expect(plain.status).toBe(2);
    expect(plain.stderr).toMatch(/--better-stack-url: must be an https:\/\/ URL/);
    const withWorld = cm01(
      ['collect', '--github-world', 'x.json', '--linear-url', 'https://linear.example/graphql'],
      { env },
    );
    expect(withWorld.status).toBe(2);
    expect(withWorld.stderr).toMatch(/--linear-url/);
    for (const result of [noKey, plain, withWorld]) expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
