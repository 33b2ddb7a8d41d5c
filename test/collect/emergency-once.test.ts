import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitHubClient, type GitHubClient } from '../../lambdas/adapters/github/client.ts';
import { type CollectionSummary, collect } from '../../lambdas/collect/collect.ts';
import {
  collectEmergencyTrail,
  EMERGENCY_TAIL_MS,
  readOrganisationEmergencyCandidates,
} from '../../lambdas/collect/emergency-trail.ts';
import { monthWindow } from '../../lambdas/core/window.ts';
import type { EvidenceDocument } from '../../lambdas/evidence/documents.ts';
import { addMinutes, WorldBuilder } from '../emulator/world-builder.ts';
import { type CollectBed, openCollectBed } from './harness.ts';

/**
 * The emergency trail's candidates, searched once for the organisation in a run of several
 * repositories (real HTTP through the emulator, every GraphQL request counted on the wire): each
 * repository takes the PRs of its own name merged into its own default branch — never a PR
 * merged into another branch, nor one of a repository outside the run — and the stored evidence
 * is the same as when each repository searches its own. When GitHub refuses the organisation's
 * search, or the run has one repository, each repository searches its own.
 */

const OCTOBER = monthWindow('2026-10');
const RUN = ['api', 'web', 'jobs'] as const;
const LABEL = 'emergency-change';
const ORG_SEARCH = 'OrganisationEmergencyCandidates';
const REPO_SEARCH = 'EmergencyCandidates';

interface Built {
  readonly world: ReturnType<WorldBuilder['build']>;
  /** Per repository of the run: the emergency PRs of its default branch merged in the five days before October. */
  readonly trail: Record<string, number[]>;
  /** `repo#number` of labelled PRs in the tail that must not be read again: another base, or outside the run. */
  readonly notMine: string[];
}

function labelled(at: string) {
  return [{ name: LABEL, addedBy: 'erin', addedAt: addMinutes(at, -60) }];
}

function retrospective(at: string) {
  return [{ author: 'erin', createdAt: addMinutes(at, 120), body: 'Retrospective: card processor timeout' }];
}

function world(): Built {
  const builder = new WorldBuilder({ start: '2026-09-20T00:00:00Z', now: '2026-11-01T06:00:00Z' });
  const trail: Record<string, number[]> = {};
  const notMine: string[] = [];
  const api = builder.repo('api');
  const web = builder.repo('web');
  const jobs = builder.repo('jobs', 'trunk');
  const legacy = builder.repo('legacy');

  // api: an emergency PR in the tail, a plain one, and an emergency PR merged into `release`
  // in the tail — labelled, but not a change of the default branch.
  let at = '2026-09-27T10:00:00Z';
  const apiEmergency = api.mergePullRequest({
    mergedAt: at,
    labels: labelled(at),
    comments: retrospective(at),
  });
  api.mergePullRequest({ mergedAt: '2026-09-28T09:00:00Z' });
  api.pushCommit({
    branch: 'release',
    parents: [api.head()],
    message: 'cut release',
    at: '2026-09-28T10:00:00Z',
  });
  at = '2026-09-29T11:00:00Z';
  const apiRelease = api.mergePullRequest({ base: 'release', mergedAt: at, labels: labelled(at) });
  notMine.push(`acme/api#${apiRelease.number}`);
  api.mergePullRequest({ mergedAt: '2026-10-10T10:00:00Z' });
  trail.api = [apiEmergency.number];

  // web: a plain PR #1 (api's #1 is an emergency one: same number, other repository), then two
  // emergency PRs, one of them unlabelled after the merge (still an emergency change).
  web.mergePullRequest({ mergedAt: '2026-09-27T08:00:00Z' });
  at = '2026-09-28T15:00:00Z';
  const webFirst = web.mergePullRequest({ mergedAt: at, labels: labelled(at) });
  at = '2026-09-30T20:00:00Z';
  const webSecond = web.mergePullRequest({
    mergedAt: at,
    labels: [
      {
        name: 'Emergency-Change',
        addedBy: 'erin',
        addedAt: addMinutes(at, -30),
        removedAt: addMinutes(at, 60),
      },
    ],
  });
  web.mergePullRequest({ mergedAt: '2026-10-12T10:00:00Z', labels: labelled('2026-10-12T10:00:00Z') });
  trail.web = [webFirst.number, webSecond.number];

  // jobs: default branch `trunk`; an emergency PR into it, and one labelled into `main`.
  at = '2026-09-29T07:00:00Z';
  const jobsEmergency = jobs.mergePullRequest({
    mergedAt: at,
    labels: labelled(at),
    comments: retrospective(at),
  });
  jobs.pushCommit({
    branch: 'main',
    parents: [jobs.head()],
    message: 'old main',
    at: '2026-09-29T08:00:00Z',
  });
  at = '2026-09-30T09:00:00Z';
  const jobsMain = jobs.mergePullRequest({ base: 'main', mergedAt: at, labels: labelled(at) });
  notMine.push(`acme/jobs#${jobsMain.number}`);
  jobs.mergePullRequest({ mergedAt: '2026-10-14T10:00:00Z' });
  trail.jobs = [jobsEmergency.number];

  // legacy: not in the run; its emergency PR is the organisation search's, never a run repository's.
  at = '2026-09-28T12:00:00Z';
  const legacyEmergency = legacy.mergePullRequest({ mergedAt: at, labels: labelled(at) });
  notMine.push(`acme/legacy#${legacyEmergency.number}`);

  return { world: builder.build(), trail, notMine };
}

interface Wire {
  readonly github: GitHubClient;
  /** Every GraphQL request sent: its operation and search query. */
  readonly graphql: { operation: string; searchQuery?: string }[];
}

/** How GitHub refuses the organisation's search, answered on the wire instead of the emulator's answer. */
type Refusal = () => Response;

/**
 * A client of the bed's emulator that records every GraphQL request; with `refuse`, the
 * organisation's search is answered with that refusal (the emulator serves every search it is
 * asked, as a token with the permission gets).
 */
function onTheWire(bed: CollectBed, refuse?: Refusal): Wire {
  const graphql: Wire['graphql'] = [];
  const wired: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (new URL(url).pathname.endsWith('/graphql') && typeof init?.body === 'string') {
      const body = JSON.parse(init.body) as { query: string; variables?: { searchQuery?: string } };
      const operation = /\bquery\s+(\w+)/.exec(body.query)?.[1] ?? '(anonymous)';
      graphql.push({
        operation,
        ...(body.variables?.searchQuery ? { searchQuery: body.variables.searchQuery } : {}),
      });
      if (refuse && operation === ORG_SEARCH) return refuse();
    }
    return fetch(input, init);
  };
  const github = createGitHubClient({
    baseUrl: bed.emulator.url,
    auth: { kind: 'token', token: bed.emulator.token },
    retries: 5,
    retryAfterBaseMs: 5,
    fetch: wired,
  });
  return { github, graphql };
}

async function run(
  bed: CollectBed,
  github: GitHubClient,
  repos: readonly string[],
): Promise<CollectionSummary> {
  return collect(
    { store: bed.store, index: bed.index, github, org: 'acme', clock: () => bed.now },
    { window: OCTOBER, repos: [...repos], kinds: ['pull-requests'] },
  );
}

/** The stored pull requests, as data: what "the same evidence" means here. */
function pullRequestData(docs: Map<string, EvidenceDocument<'pull-request'>>) {
  return [...docs.entries()]
    .map(([key, doc]) => [key, doc.data] as const)
    .sort(([a], [b]) => a.localeCompare(b));
}

/** `repo:acme/NAME … merged:A..A`: the pull-request collector re-reading the one second a PR merged in. */
function reReads(wire: Wire): string[] {
  return wire.graphql
    .filter((request) => request.operation === 'MergedPullRequests')
    .map((request) => request.searchQuery ?? '')
    .filter((query) => {
      const range = /merged:(\S+)\.\.(\S+)/.exec(query);
      return range !== null && range[1] === range[2];
    })
    .sort();
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

describe('the emergency trail in one collection run of several repositories', () => {
  const built = world();
  let bed: CollectBed;
  let wire: Wire;
  let summary: CollectionSummary;
  beforeAll(async () => {
    bed = await openCollectBed(built.world);
    wire = onTheWire(bed);
    summary = await run(bed, wire.github, RUN);
  });
  afterAll(async () => {
    await bed.close();
  });

  it('searches the organisation once, over the five days before the window, and no repository its own', () => {
    expect(summary.errors).toEqual([]);
    const orgSearches = wire.graphql.filter((request) => request.operation === ORG_SEARCH);
    expect(orgSearches).toEqual([
      {
        operation: ORG_SEARCH,
        searchQuery: 'org:acme is:pr is:merged merged:2026-09-26T00:00:00Z..2026-09-30T23:59:59Z',
      },
    ]);
    expect(Date.parse(OCTOBER.from) - EMERGENCY_TAIL_MS).toBe(Date.parse('2026-09-26T00:00:00Z'));
    expect(wire.graphql.filter((request) => request.operation === REPO_SEARCH)).toEqual([]);
  });

  it('re-reads each repository’s own emergency PRs of its default branch, and nothing else', async () => {
    // One narrowed re-read per emergency PR of a run repository: none for the PR merged into
    // `release`, the one into `jobs`' old `main`, or `legacy`'s (outside the run).
    const seconds = (name: string, base: string, numbers: number[]) =>
      numbers.map((number) => {
        const pr = built.world.repos
          .find((repo) => repo.name === name)
          ?.pullRequests.find((candidate) => candidate.number === number);
        const at = `${new Date(Date.parse(pr?.mergedAt ?? '')).toISOString().slice(0, 19)}Z`;
        return `repo:acme/${name} is:pr is:merged base:${base} merged:${at}..${at}`;
      });
    expect(reReads(wire)).toEqual(
      [
        ...seconds('api', 'main', built.trail.api ?? []),
        ...seconds('web', 'main', built.trail.web ?? []),
        ...seconds('jobs', 'trunk', built.trail.jobs ?? []),
      ].sort(),
    );
    const stored = [...(await bed.documents('pull-request')).keys()];
    for (const [name, numbers] of Object.entries(built.trail))
      for (const number of numbers) expect(stored).toContain(`acme/${name}#${number}`);
    for (const key of built.notMine) expect(stored).not.toContain(key);
  });

  it('stores the same evidence as runs in which each repository searches its own', async () => {
    const other = await openCollectBed(built.world);
    try {
      const perRepository = onTheWire(other);
      for (const name of RUN) await run(other, perRepository.github, [name]);
      expect(perRepository.graphql.filter((request) => request.operation === ORG_SEARCH)).toEqual([]);
      expect(perRepository.graphql.filter((request) => request.operation === REPO_SEARCH)).toHaveLength(
        RUN.length,
      );
      expect(reReads(perRepository)).toEqual(reReads(wire));
      expect(pullRequestData(await other.documents('pull-request'))).toEqual(
        pullRequestData(await bed.documents('pull-request')),
      );
    } finally {
      await other.close();
    }
  });

  it('charges the organisation’s search to the pull-request kind', () => {
    // Only pull requests were asked for: every GraphQL point of the run is that kind's.
    expect(summary.apiCost.graphqlPoints).toBeGreaterThan(0);
    expect(summary.costByKind['pull-requests']?.graphqlPoints).toBe(summary.apiCost.graphqlPoints);
  });

  for (const [how, refusal] of [
    [
      'refused (403)',
      () =>
        json(403, {
          message: 'Resource not accessible by integration',
          documentation_url: 'https://docs.github.com/graphql',
        }),
    ],
    [
      'not found (404)',
      () => json(404, { message: 'Not Found', documentation_url: 'https://docs.github.com' }),
    ],
    [
      'refused in GraphQL (FORBIDDEN)',
      () =>
        json(200, {
          data: null,
          errors: [
            { type: 'FORBIDDEN', message: 'Resource not accessible by integration', path: ['search'] },
          ],
        }),
    ],
    [
      'not found in GraphQL (NOT_FOUND)',
      () =>
        json(200, {
          data: null,
          errors: [{ type: 'NOT_FOUND', message: 'Could not resolve to an Organization', path: ['search'] }],
        }),
    ],
    [
      'failing otherwise (a query error)',
      () =>
        json(200, { data: null, errors: [{ message: 'Something went wrong while executing your query.' }] }),
    ],
  ] as const) {
    it(`searches each repository’s own when the organisation’s search is ${how}, with the same evidence`, async () => {
      const other = await openCollectBed(built.world);
      try {
        const refused = onTheWire(other, refusal);
        const fallback = await run(other, refused.github, RUN);
        expect(fallback.errors).toEqual([]);
        // Asked once when refused; an unexplained failure the client first retries, as any.
        const asked = refused.graphql.filter((request) => request.operation === ORG_SEARCH).length;
        if (how.startsWith('failing')) expect(asked).toBeGreaterThanOrEqual(1);
        else expect(asked).toBe(1);
        expect(
          refused.graphql
            .filter((request) => request.operation === REPO_SEARCH)
            .map((request) => request.searchQuery?.split(' ')[0])
            .sort(),
        ).toEqual(RUN.map((name) => `repo:acme/${name}`).sort());
        expect(reReads(refused)).toEqual(reReads(wire));
        expect(pullRequestData(await other.documents('pull-request'))).toEqual(
          pullRequestData(await bed.documents('pull-request')),
        );
      } finally {
        await other.close();
      }
    });
  }

  it('searches the repository’s own in a run of one repository (a fan-out item)', async () => {
    const other = await openCollectBed(built.world);
    try {
      const single = onTheWire(other);
      await run(other, single.github, ['web']);
      expect(single.graphql.filter((request) => request.operation === ORG_SEARCH)).toEqual([]);
      expect(single.graphql.filter((request) => request.operation === REPO_SEARCH)).toEqual([
        {
          operation: REPO_SEARCH,
          searchQuery:
            'repo:acme/web is:pr is:merged base:main merged:2026-09-26T00:00:00Z..2026-09-30T23:59:59Z',
        },
      ]);
      const stored = await other.documents('pull-request');
      for (const number of built.trail.web ?? []) expect(stored.has(`acme/web#${number}`)).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('lets a fork search its own (GitHub may leave forks out of an organisation search), the others sharing one', async () => {
    const forked = {
      ...built.world,
      repos: built.world.repos.map((repo) => (repo.name === 'web' ? { ...repo, fork: true } : repo)),
    };
    const other = await openCollectBed(forked);
    try {
      const wired = onTheWire(other);
      const result = await run(other, wired.github, RUN);
      expect(result.errors).toEqual([]);
      expect(wired.graphql.filter((request) => request.operation === ORG_SEARCH)).toHaveLength(1);
      expect(wired.graphql.filter((request) => request.operation === REPO_SEARCH)).toEqual([
        {
          operation: REPO_SEARCH,
          searchQuery:
            'repo:acme/web is:pr is:merged base:main merged:2026-09-26T00:00:00Z..2026-09-30T23:59:59Z',
        },
      ]);
      expect(reReads(wired)).toEqual(reReads(wire));
    } finally {
      await other.close();
    }
  });
});

describe('a repository taking its candidates from the organisation’s search', () => {
  const built = world();

  it('matches its name as GitHub does, case-insensitively, and uses no reading made for another range or label', async () => {
    const bed = await openCollectBed(built.world);
    try {
      const wire = onTheWire(bed);
      const ctx = { ...(await bed.context()), github: wire.github };
      const options = { readFrom: OCTOBER.from };
      const reading = await readOrganisationEmergencyCandidates(ctx, 'acme', OCTOBER, options);
      if (!reading) throw new Error('the organisation search was not made');
      // GitHub spells a repository as it was named; the run may hold it in other capitals.
      const shouted = {
        ...reading,
        candidates: reading.candidates.map((c) => ({ ...c, repository: c.repository.toUpperCase() })),
      };
      const taken = await collectEmergencyTrail(ctx, bed.repo('web'), OCTOBER, {
        ...options,
        organisation: shouted,
      });
      expect(taken.emergencyPullRequests).toBe(built.trail.web?.length);
      expect(wire.graphql.filter((request) => request.operation === REPO_SEARCH)).toEqual([]);

      // A reading of another label, or of another range, is not this repository's: it searches its own.
      const otherLabel = await collectEmergencyTrail(ctx, bed.repo('web'), OCTOBER, {
        ...options,
        label: 'hotfix',
        organisation: reading,
      });
      expect(otherLabel.emergencyPullRequests).toBe(0);
      const otherRange = await collectEmergencyTrail(ctx, bed.repo('web'), OCTOBER, {
        ...options,
        organisation: { ...reading, from: reading.from + 1000 },
      });
      expect(otherRange.emergencyPullRequests).toBe(built.trail.web?.length);
      expect(wire.graphql.filter((request) => request.operation === REPO_SEARCH)).toHaveLength(2);
    } finally {
      await bed.close();
    }
  });
});

describe('the organisation’s candidate search past GitHub’s 1,000-result cap', () => {
  it('splits the range until each part fits, and misses no emergency PR of any repository', async () => {
    const builder = new WorldBuilder({ start: '2026-09-20T00:00:00Z', now: '2026-11-01T06:00:00Z' });
    const expected: string[] = [];
    // 1,100 merged PRs in the five days before October, across two repositories; every 50th labelled.
    for (const name of ['north', 'south']) {
      const repo = builder.repo(name);
      for (let i = 0; i < 550; i++) {
        const at = addMinutes('2026-09-26T00:10:00Z', i * 13 + (name === 'south' ? 5 : 0));
        const emergency = i % 50 === 7;
        const pr = repo.mergePullRequest({
          mergedAt: at,
          files: [],
          ...(emergency ? { labels: labelled(at) } : {}),
        });
        if (emergency) expected.push(`acme/${name}#${pr.number}`);
      }
    }
    const bed = await openCollectBed(builder.build());
    try {
      const wire = onTheWire(bed);
      const ctx = { ...(await bed.context()), github: wire.github };

      const reading = await readOrganisationEmergencyCandidates(ctx, 'acme', OCTOBER, {
        readFrom: OCTOBER.from,
      });

      const ranges = new Set(wire.graphql.map((request) => request.searchQuery));
      expect(ranges.size).toBeGreaterThan(2);
      expect(reading?.candidates.map((c) => `${c.repository}#${c.number}`).sort()).toEqual(expected.sort());
    } finally {
      await bed.close();
    }
  });
});
