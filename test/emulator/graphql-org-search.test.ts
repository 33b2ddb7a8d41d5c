import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../emulator/server.ts';
import { ORGANISATION_EMERGENCY_CANDIDATES_QUERY } from '../../lambdas/adapters/github/parse-emergency.ts';
import { graphqlRequest } from './http.ts';
import { WorldBuilder } from './world-builder.ts';

/**
 * Search by organisation, as the emergency trail asks it once for a run: `org:` finds the merged
 * PRs of every repository of the organisation, into every base branch (the qualifier's login
 * compared case-insensitively, as GitHub's logins are), and each PR names its repository and base.
 */

const RANGE = 'merged:2026-09-26T00:00:00Z..2026-09-30T23:59:59Z';

let emulator: Emulator;

beforeAll(async () => {
  const world = new WorldBuilder({ start: '2026-09-20T00:00:00Z', now: '2026-11-01T06:00:00Z' });
  const api = world.repo('api');
  api.mergePullRequest({ number: 1, mergedAt: '2026-09-27T10:00:00Z' });
  api.pushCommit({ branch: 'release', parents: [api.head()], at: '2026-09-27T11:00:00Z' });
  api.mergePullRequest({ number: 2, base: 'release', mergedAt: '2026-09-28T10:00:00Z' });
  api.mergePullRequest({ number: 3, mergedAt: '2026-10-02T10:00:00Z' });
  const jobs = world.repo('jobs', 'trunk');
  jobs.mergePullRequest({ number: 1, mergedAt: '2026-09-29T10:00:00Z' });
  jobs.mergePullRequest({ number: 2, mergedAt: null, createdAt: '2026-09-29T12:00:00Z' });
  emulator = await startEmulator({ world: world.build() });
});

afterAll(async () => {
  await emulator.close();
});

interface Found {
  repository: { nameWithOwner: string };
  baseRefName: string;
  number: number;
}

async function search(query: string): Promise<string[]> {
  const answer = await graphqlRequest(emulator, ORGANISATION_EMERGENCY_CANDIDATES_QUERY, {
    searchQuery: query,
    after: null,
  });
  expect(answer.errors).toBeUndefined();
  const nodes = (answer.data?.search as { nodes: Found[] } | undefined)?.nodes ?? [];
  return nodes.map((pr) => `${pr.repository.nameWithOwner}#${pr.number}@${pr.baseRefName}`).sort();
}

describe('search by organisation', () => {
  it('finds the merged PRs of every repository, into every base, each naming its repository and base', async () => {
    expect(await search(`org:acme is:pr is:merged ${RANGE}`)).toEqual([
      'acme/api#1@main',
      'acme/api#2@release',
      'acme/jobs#1@trunk',
    ]);
  });

  it('compares the organisation’s login case-insensitively, and finds nothing of another organisation', async () => {
    expect(await search(`org:ACME is:pr is:merged ${RANGE}`)).toHaveLength(3);
    expect(await search(`org:other is:pr is:merged ${RANGE}`)).toEqual([]);
  });
});
