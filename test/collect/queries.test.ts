import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { githubSchema } from '../../emulator/graphql/github-schema.ts';
import {
  EMERGENCY_CANDIDATES_QUERY,
  ORGANISATION_EMERGENCY_CANDIDATES_QUERY,
} from '../../lambdas/adapters/github/parse-emergency.ts';
import { overrideCommitsQuery } from '../../lambdas/adapters/github/parse-overrides.ts';
import { BRANCH_HISTORY_QUERY } from '../../lambdas/adapters/github/queries/branch-commits.ts';
import {
  DEPLOYMENT_STATUSES_PAGE_QUERY,
  DEPLOYMENT_STATUSES_QUERY,
  WORKFLOW_RUN_JOBS_PAGE_QUERY,
  WORKFLOW_RUN_JOBS_QUERY,
} from '../../lambdas/adapters/github/queries/deployments.ts';
import { everyCheckRunQuery } from '../../lambdas/adapters/github/queries/every-check-run.ts';
import {
  buildFollowUpQuery,
  MERGED_PULL_REQUESTS_QUERY,
} from '../../lambdas/adapters/github/queries/pull-requests.ts';
import { DEFAULT_BRANCH_FILES_QUERY } from '../../lambdas/collect/default-branch-files.ts';

/** Every query the collectors send is valid against GitHub's published schema. */

function errorsOf(query: string): string[] {
  return validate(githubSchema(), parse(query)).map((error) => error.message);
}

describe('collector queries against GitHub’s schema', () => {
  it('accepts the merged-PR search and the default-branch history', () => {
    expect(errorsOf(MERGED_PULL_REQUESTS_QUERY)).toEqual([]);
    expect(errorsOf(BRANCH_HISTORY_QUERY)).toEqual([]);
  });

  it('accepts follow-ups with checks only, lists only, and both', () => {
    const checks = [
      { sha: 'a'.repeat(40), after: null },
      { sha: 'b'.repeat(40), after: 'Y3Vyc29yOjMw' },
    ];
    const forward = 'forward' as const;
    const backward = 'backward' as const;
    const pages = [
      { pullRequestId: 'PR_1', connection: 'commits' as const, direction: forward, cursor: 'c1' },
      { pullRequestId: 'PR_1', connection: 'commits' as const, direction: backward, cursor: null },
      { pullRequestId: 'PR_1', connection: 'files' as const, direction: forward, cursor: 'c2' },
      { pullRequestId: 'PR_1', connection: 'files' as const, direction: backward, cursor: 'c9' },
      { pullRequestId: 'PR_2', connection: 'timelineItems' as const, direction: forward, cursor: 'c3' },
      { pullRequestId: 'PR_2', connection: 'reviews' as const, direction: forward, cursor: 'c4' },
      { pullRequestId: 'PR_2', connection: 'comments' as const, direction: forward, cursor: 'c5' },
    ];
    for (const [c, p] of [
      [checks, []],
      [[], pages],
      [checks, pages],
    ] as const) {
      const { query, variables, prAliases } = buildFollowUpQuery('acme', 'api', c, p);
      expect(errorsOf(query)).toEqual([]);
      expect(Object.keys(variables).length).toBeGreaterThan(0);
      expect(prAliases.size).toBe(new Set(p.map((page) => page.pullRequestId)).size);
    }
  });

  it('accepts every check run of one and of twenty head commits', () => {
    expect(errorsOf(everyCheckRunQuery(1))).toEqual([]);
    expect(errorsOf(everyCheckRunQuery(20))).toEqual([]);
  });

  it('accepts the bulk deployment, job and default-branch-file queries', () => {
    for (const query of [
      DEPLOYMENT_STATUSES_QUERY,
      DEPLOYMENT_STATUSES_PAGE_QUERY,
      WORKFLOW_RUN_JOBS_QUERY,
      WORKFLOW_RUN_JOBS_PAGE_QUERY,
      DEFAULT_BRANCH_FILES_QUERY,
      overrideCommitsQuery(1),
      overrideCommitsQuery(20),
    ]) {
      expect(errorsOf(query)).toEqual([]);
    }
  });

  it('accepts the emergency trail’s candidate searches, of one repository and of the organisation', () => {
    expect(errorsOf(EMERGENCY_CANDIDATES_QUERY)).toEqual([]);
    expect(errorsOf(ORGANISATION_EMERGENCY_CANDIDATES_QUERY)).toEqual([]);
  });

  it('rejects a field GitHub does not have (the check is real)', () => {
    expect(errorsOf('query { viewer { loginName } }')).not.toEqual([]);
  });
});
