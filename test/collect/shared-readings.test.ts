import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type GitHubClient,
  GitHubForbiddenError,
  GitHubNotFoundError,
} from '../../lambdas/adapters/github/client.ts';
import { type CollectionSummary, collect } from '../../lambdas/collect/collect.ts';
import { monthWindow } from '../../lambdas/core/window.ts';
import type { EvidenceDocument } from '../../lambdas/evidence/documents.ts';
import { WorldBuilder } from '../emulator/world-builder.ts';
import { type CollectBed, openCollectBed } from './harness.ts';

/**
 * What a run reads once and shares, counted at the emulator (real HTTP): repository activity
 * once per repository for the three collectors that need it (pushers, default-branch commits,
 * overrides), and rule-suite bypasses once for the organisation, each repository taking its
 * own — with each repository's own listing when GitHub refuses the organisation's, and every
 * consumer's gap when it refuses activity.
 */

const OCTOBER = monthWindow('2026-10');
const REPOS = ['api', 'web', 'jobs'] as const;
const ORG_RULE_SUITES = 'GET /orgs/{org}/rulesets/rule-suites';
const ACTIVITY = 'GET /repos/{owner}/{repo}/activity';

interface Built {
  readonly world: ReturnType<WorldBuilder['build']>;
  /** Per repository: the SHA of the direct push that bypassed the ruleset. */
  readonly hotfixes: Record<string, string>;
  /** Per repository: a bypass on another branch (not the default one): no override of the default branch. */
  readonly otherBranch: Record<string, string>;
}

function world(): Built {
  const builder = new WorldBuilder({ start: '2026-10-05T00:00:00Z', now: '2026-11-01T06:00:00Z' });
  const hotfixes: Record<string, string> = {};
  const otherBranch: Record<string, string> = {};
  for (const [i, name] of REPOS.entries()) {
    const repo = builder.repo(name);
    repo.mergePullRequest({ author: 'alice', commits: 2, mergedAt: `2026-10-0${6 + i}T10:00:00Z` });
    repo.mergePullRequest({ author: 'bob', commits: 1, mergedAt: `2026-10-1${i}T10:00:00Z` });
    const before = repo.head();
    const at = `2026-10-2${i}T08:00:00Z`;
    const sha = repo.pushCommit({ message: `hotfix ${name}`, author: 'dave', at });
    hotfixes[name] = sha;
    repo.activity({ timestamp: at, before, after: sha, activityType: 'push', actor: 'dave' });
    // Rule-suite ids are unique per repository here, not across them: the same id in every repository.
    repo.ruleSuite({
      id: 70,
      actor: 'dave',
      pushedAt: at,
      beforeSha: before,
      afterSha: sha,
      result: 'bypass',
    });
    const release = repo.pushCommit({
      branch: 'release',
      parents: [before],
      message: `release ${name}`,
      author: 'erin',
      at,
    });
    otherBranch[name] = release;
    repo.ruleSuite({
      id: 71,
      actor: 'erin',
      pushedAt: at,
      ref: 'refs/heads/release',
      beforeSha: before,
      afterSha: release,
      result: 'bypass',
    });
  }
  return { world: builder.build(), hotfixes, otherBranch };
}

/** The client as given, but refusing `route` as GitHub refuses a credential without the permission. */
function refusing(github: GitHubClient, route: string, error: () => Error, calls: string[]): GitHubClient {
  return new Proxy(github, {
    get(target, property, receiver) {
      // A listing is read through `paginate`, or page by page through `rest` (activity, newest first).
      if (property === 'paginate' || property === 'rest') {
        return (asked: string, ...rest: unknown[]) => {
          calls.push(asked);
          if (asked === route) return Promise.reject(error());
          return (target[property] as (...args: unknown[]) => Promise<unknown>)(asked, ...rest);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

/** Requests the emulator answered (any status, 304s too) whose path matches. */
function asked(bed: CollectBed, pattern: RegExp): string[] {
  return bed.emulator.requestLog.map((entry) => entry.path).filter((path) => pattern.test(path));
}

async function run(bed: CollectBed, github: GitHubClient, repos?: string[]): Promise<CollectionSummary> {
  return collect(
    { store: bed.store, index: bed.index, github, org: 'acme', clock: () => bed.now },
    { window: OCTOBER, ...(repos ? { repos } : {}) },
  );
}

function overrideData(docs: Map<string, EvidenceDocument<'override'>>) {
  return [...docs.entries()].map(([key, doc]) => [key, doc.data]).sort();
}

describe('one collection run of several repositories', () => {
  const built = world();
  let bed: CollectBed;
  let summary: CollectionSummary;
  beforeAll(async () => {
    bed = await openCollectBed(built.world);
    summary = await run(bed, bed.github);
  });
  afterAll(async () => {
    await bed.close();
  });

  it('reads repository activity once per repository, for pushers, commits and overrides alike', async () => {
    expect(summary.errors).toEqual([]);
    for (const name of REPOS)
      expect(asked(bed, new RegExp(`^/repos/acme/${name}/activity$`))).toHaveLength(1);
    // All three used it: the pushers of the PRs' commits, the push that put the hotfix on the
    // default branch, and the hotfix's override seen by activity.
    const prs = [...(await bed.documents('pull-request')).values()];
    expect(prs).toHaveLength(REPOS.length * 2);
    for (const pr of prs) for (const commit of pr.data.commits) expect(commit.pushedBy).toBeDefined();
    const commits = await bed.documents('branch-commit');
    const overrides = await bed.documents('override');
    for (const name of REPOS) {
      const hotfix = built.hotfixes[name] as string;
      expect(commits.get(`acme/${name}#${hotfix}`)?.data.activity).toMatchObject({
        activityType: 'push',
        actor: 'dave',
      });
      expect(overrides.get(`acme/${name}#${hotfix}`)?.data.sources).toEqual(['rule-suite', 'activity']);
    }
  });

  it('reads the rule-suite bypasses once for the organisation; each repository keeps its own default branch', async () => {
    expect(asked(bed, /^\/orgs\/acme\/rulesets\/rule-suites$/)).toHaveLength(1);
    expect(asked(bed, /^\/repos\/[^/]+\/[^/]+\/rulesets\/rule-suites$/)).toEqual([]);
    const overrides = await bed.documents('override');
    const fromRuleSuites = [...overrides.values()].filter((doc) => doc.data.sources.includes('rule-suite'));
    // One per repository, its own push only: the release branch's bypass and the other
    // repositories' suites (the same id in each) are not attributed to it.
    expect(fromRuleSuites.map((doc) => `${doc.repo}#${doc.itemId}`).sort()).toEqual(
      REPOS.map((name) => `acme/${name}#${built.hotfixes[name]}`).sort(),
    );
    for (const doc of fromRuleSuites) expect(doc.data.branch).toBe('main');
    // The detail of each suite is still read, in its own repository.
    for (const name of REPOS)
      expect(asked(bed, new RegExp(`^/repos/acme/${name}/rulesets/rule-suites/70$`))).toHaveLength(1);
  });

  for (const [label, refusal] of [
    [
      'refused (403)',
      () =>
        new GitHubForbiddenError(
          `${ORG_RULE_SUITES}: forbidden (403 Resource not accessible by integration)`,
        ),
    ],
    ['not found (404)', () => new GitHubNotFoundError(`${ORG_RULE_SUITES}: not found (404)`)],
  ] as const) {
    it(`lists each repository's own rule suites when the organisation's listing is ${label}, with the same overrides`, async () => {
      const other = await openCollectBed(built.world);
      try {
        const calls: string[] = [];
        const fallback = await run(other, refusing(other.github, ORG_RULE_SUITES, refusal, calls));
        expect(calls.filter((route) => route === ORG_RULE_SUITES)).toHaveLength(1);
        for (const name of REPOS)
          expect(asked(other, new RegExp(`^/repos/acme/${name}/rulesets/rule-suites$`))).toHaveLength(1);
        expect(fallback.errors).toEqual([]);
        expect(fallback.gaps.filter((gap) => gap.withholds === 'rule-suites')).toEqual(
          summary.gaps.filter((gap) => gap.withholds === 'rule-suites'),
        );
        expect(overrideData(await other.documents('override'))).toEqual(
          overrideData(await bed.documents('override')),
        );
      } finally {
        await other.close();
      }
    });
  }

  it('reads each repository’s own rule suites in a run of one repository (a fan-out item)', async () => {
    const other = await openCollectBed(built.world);
    try {
      await run(other, other.github, ['web']);
      expect(asked(other, /^\/orgs\/acme\/rulesets\/rule-suites$/)).toEqual([]);
      expect(asked(other, /^\/repos\/acme\/web\/rulesets\/rule-suites$/)).toHaveLength(1);
      const overrides = await other.documents('override');
      expect(overrides.get(`acme/web#${built.hotfixes.web}`)?.data.sources).toEqual([
        'rule-suite',
        'activity',
      ]);
    } finally {
      await other.close();
    }
  });

  it('asks refused activity once per repository, and each collector that needed it records its own gap', async () => {
    const other = await openCollectBed(built.world);
    try {
      const calls: string[] = [];
      const refused = await run(
        other,
        refusing(
          other.github,
          ACTIVITY,
          () =>
            new GitHubForbiddenError(`${ACTIVITY}: forbidden (403 Resource not accessible by integration)`),
          calls,
        ),
      );
      expect(calls.filter((route) => route === ACTIVITY)).toHaveLength(REPOS.length);
      for (const name of REPOS) {
        const gaps = refused.gaps.filter(
          (gap) => gap.repo === `acme/${name}` && gap.withholds === 'repository-activity',
        );
        // The commit collector's and the override collector's, each in its own words.
        expect(gaps.map((gap) => gap.reason).sort()).toEqual([
          expect.stringMatching(
            /^repository activity could not be read \(.*403.*\); direct pushes of the window are unknown$/,
          ),
          expect.stringMatching(/^repository activity could not be read: .*403/),
        ]);
      }
      // And every PR says who pushed its commits is unknown, and why.
      for (const pr of (await other.documents('pull-request')).values()) {
        expect(pr.data.completeness).toContainEqual(
          expect.objectContaining({ field: 'pushers', collected: 0, total: pr.data.commits.length }),
        );
      }
      // The hotfix is still an override, seen by the rule suite alone.
      const overrides = await other.documents('override');
      expect(overrides.get(`acme/api#${built.hotfixes.api}`)?.data.sources).toEqual(['rule-suite']);
    } finally {
      await other.close();
    }
  });
});
