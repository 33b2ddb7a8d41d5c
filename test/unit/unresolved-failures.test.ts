import { describe, expect, it } from 'vitest';
import { unresolvedFailures } from '../../lambdas/app/collection-failure.ts';
import { EVIDENCE_SCHEMA, type EvidenceDocument } from '../../lambdas/evidence/documents.ts';

const OCTOBER = { from: '2026-10-01T00:00:00.000Z', to: '2026-11-01T00:00:00.000Z' };

function run(options: {
  startedAt: string;
  window?: { from: string; to: string };
  repos?: string[];
  kinds?: string[];
  errors?: { repo: string | null; message: string }[];
  enrichers?: { source: 'linear' | 'better-stack'; endpoint: string; status: 'consulted' | 'unreachable' }[];
}): EvidenceDocument<'collection-run'> {
  const window = options.window ?? OCTOBER;
  return {
    schema: EVIDENCE_SCHEMA,
    kind: 'collection-run',
    org: 'acme',
    repo: 'acme',
    itemId: options.startedAt,
    occurredAt: options.startedAt,
    provenance: {
      source: 'cm01',
      request: 'collect',
      parameters: { kinds: options.kinds ?? ['pull-requests', 'deployments', 'teams'] },
      tokenIdentity: 'octocat',
      toolVersion: 'test',
      fetchedAt: options.startedAt,
      apiCost: { requests: 0, graphqlPoints: 0 },
    },
    data: {
      runId: options.startedAt,
      collector: 'collect',
      window,
      repos: options.repos ?? ['acme/api', 'acme/web'],
      status: options.errors?.length ? 'partial' : 'succeeded',
      startedAt: options.startedAt,
      finishedAt: options.startedAt,
      counts: {},
      gaps: [],
      errors: options.errors ?? [],
      apiCost: { requests: 0, graphqlPoints: 0 },
      ...(options.enrichers ? { enrichers: options.enrichers } : {}),
    },
  };
}

const failed = run({
  startedAt: '2026-10-20T01:00:00.000Z',
  window: { from: '2026-10-01T00:00:00.000Z', to: '2026-10-20T01:00:00.000Z' },
  errors: [{ repo: 'acme/web', message: 'deployments: GitHub answered 502' }],
});

describe('collection failures a later run did not repair', () => {
  it('names a failure no later run read again', () => {
    expect(unresolvedFailures([failed], OCTOBER)).toEqual([
      { repo: 'acme/web', source: 'deployments', reason: 'GitHub answered 502' },
    ]);
  });

  it('is repaired by a later run over the failed window that read that kind of that repository', () => {
    const later = run({ startedAt: '2026-11-01T02:00:00.000Z' });
    expect(unresolvedFailures([later, failed], OCTOBER)).toEqual([]);
  });

  it.each([
    ['an earlier run', run({ startedAt: '2026-10-19T00:00:00.000Z' })],
    [
      'a run over a shorter window',
      run({
        startedAt: '2026-11-01T02:00:00.000Z',
        window: { from: '2026-10-10T00:00:00.000Z', to: '2026-11-01T00:00:00.000Z' },
      }),
    ],
    ['a run of other repositories', run({ startedAt: '2026-11-01T02:00:00.000Z', repos: ['acme/api'] })],
    ['a run of other kinds', run({ startedAt: '2026-11-01T02:00:00.000Z', kinds: ['pull-requests'] })],
    [
      'a run that failed the same way',
      run({
        startedAt: '2026-11-01T02:00:00.000Z',
        errors: [{ repo: 'acme/web', message: 'deployments: GitHub answered 502 again' }],
      }),
    ],
    [
      'a run that failed on the whole repository',
      run({ startedAt: '2026-11-01T02:00:00.000Z', errors: [{ repo: 'acme/web', message: 'not found' }] }),
    ],
  ])('is not repaired by %s', (_name, other) => {
    expect(unresolvedFailures([failed, other], OCTOBER).map((m) => `${m.repo} ${m.source}`)).toContain(
      'acme/web deployments',
    );
  });

  it('keeps a failure of the teams until a later run read the teams', () => {
    const teams = run({
      startedAt: '2026-10-02T00:00:00.000Z',
      errors: [{ repo: null, message: 'teams: 502' }],
    });
    const noTeams = run({ startedAt: '2026-11-01T02:00:00.000Z', kinds: ['pull-requests'] });
    const withTeams = run({ startedAt: '2026-11-02T02:00:00.000Z' });
    expect(unresolvedFailures([teams, noTeams], OCTOBER)).toEqual([
      { repo: null, source: 'teams', reason: '502' },
    ]);
    expect(unresolvedFailures([teams, noTeams, withTeams], OCTOBER)).toEqual([]);
  });

  it('repairs an unreachable Linear only by a later run that read Linear, not by one without it configured', () => {
    const linear = 'https://api.linear.app/graphql';
    const refused = run({
      startedAt: '2026-11-01T06:00:00.000Z',
      kinds: ['tickets'],
      errors: [{ repo: null, message: `tickets: Linear (${linear}): the credential was refused (HTTP 401)` }],
      enrichers: [{ source: 'linear', endpoint: linear, status: 'unreachable' }],
    });
    const missing = [{ repo: null, source: 'tickets', reason: expect.stringMatching(/refused/) }];
    expect(unresolvedFailures([refused], OCTOBER)).toEqual(missing);
    // LINEAR_API_KEY unset: the run asks for tickets, reads nothing and records no error.
    const unconfigured = run({ startedAt: '2026-11-02T06:00:00.000Z', kinds: ['tickets'] });
    expect(unresolvedFailures([refused, unconfigured], OCTOBER)).toEqual(missing);
    const readAgain = run({
      startedAt: '2026-11-03T06:00:00.000Z',
      kinds: ['tickets'],
      enrichers: [{ source: 'linear', endpoint: linear, status: 'consulted' }],
    });
    expect(unresolvedFailures([refused, unconfigured, readAgain], OCTOBER)).toEqual([]);
  });
});
