import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitHubClient } from '../../lambdas/adapters/github/client.ts';
import { collect } from '../../lambdas/collect/collect.ts';
import { monthWindow } from '../../lambdas/core/window.ts';
import { WorldBuilder } from '../emulator/world-builder.ts';
import { type CollectBed, openCollectBed } from './harness.ts';

/**
 * The audit log is read once per organisation and run — its rate limit is far below the REST
 * one — and each repository takes its own override events from that one reading.
 */

const OCTOBER = monthWindow('2026-10');
const REPOS = ['api', 'web', 'jobs'];

function world() {
  const builder = new WorldBuilder({ start: '2026-10-01T00:00:00Z', now: '2026-11-01T06:00:00Z' });
  const pushes: Record<string, string> = {};
  for (const [i, name] of REPOS.entries()) {
    const repo = builder.repo(name);
    const before = repo.head();
    const at = `2026-10-1${i}T08:00:00Z`;
    const sha = repo.pushCommit({
      message: `hotfix ${name}\n\nJustification: outage\nRisk: low`,
      author: 'dave',
      at,
    });
    pushes[name] = sha;
    builder.audit({
      action: 'protected_branch.policy_override',
      actor: 'dave',
      repo: `acme/${name}`,
      branch: 'refs/heads/main',
      createdAt: at,
      before,
      after: sha,
      reasons: [{ code: 'review_policy_not_satisfied', message: 'review required' }],
    });
  }
  return { world: builder.build(), pushes };
}

/** Observes (does not change) the client: which routes were paged. */
function countingPages(github: GitHubClient, routes: string[]): GitHubClient {
  return new Proxy(github, {
    get(target, property, receiver) {
      if (property === 'paginate') {
        return (route: string, ...rest: unknown[]) => {
          routes.push(route);
          return (target.paginate as (...args: unknown[]) => Promise<unknown>)(route, ...rest);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

describe('overrides of several repositories', () => {
  const { world: built, pushes } = world();
  let bed: CollectBed;
  const routes: string[] = [];
  beforeAll(async () => {
    bed = await openCollectBed(built);
    await collect(
      {
        store: bed.store,
        index: bed.index,
        github: countingPages(bed.github, routes),
        org: 'acme',
        clock: () => bed.now,
      },
      { window: OCTOBER, kinds: ['overrides'] },
    );
  });
  afterAll(async () => {
    await bed.close();
  });

  it('reads the audit log once for the organisation', () => {
    expect(routes.filter((route) => route.includes('audit-log'))).toEqual(['GET /orgs/{org}/audit-log']);
  });

  it('gives each repository its own override event, and only its own', async () => {
    const docs = await bed.documents('override');
    for (const name of REPOS) {
      const doc = docs.get(`acme/${name}#${pushes[name]}`);
      expect(doc?.data.sources).toContain('audit-log');
    }
    const fromAuditLog = [...docs.values()].filter((doc) => doc.data.sources.includes('audit-log'));
    expect(fromAuditLog).toHaveLength(REPOS.length);
  });
});
