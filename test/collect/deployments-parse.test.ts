import { describe, expect, it } from 'vitest';
import {
  parseDeploymentStatuses,
  parseDeploymentsPage,
  parseWorkflowJobs,
  workflowRunIdFromUrl,
} from '../../lambdas/adapters/github/parse-deployments.ts';

const SHA = 'd'.repeat(40);

describe('deployment parsers', () => {
  it('keeps statuses oldest first although GitHub lists them newest first', () => {
    const statuses = parseDeploymentStatuses([
      {
        state: 'success',
        created_at: '2026-10-05T10:05:00Z',
        creator: { login: 'deploy-bot', type: 'Bot' },
        log_url: 'https://github.com/acme/api/actions/runs/42',
      },
      {
        state: 'in_progress',
        created_at: '2026-10-05T10:00:00Z',
        creator: { login: 'deploy-bot', type: 'Bot' },
        log_url: '',
        target_url: 'https://ci.example/7',
      },
    ]);

    expect(statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    expect(statuses[0]?.logUrl).toBe('https://ci.example/7');
    expect(statuses[1]?.creator).toEqual({ login: 'deploy-bot', type: 'Bot' });
  });

  it('treats an absent production flag as not production and reads the app that created a deployment', () => {
    const [deployment] = parseDeploymentsPage([
      {
        id: 9001,
        sha: SHA,
        ref: 'main',
        environment: 'staging',
        creator: { login: 'deploy-bot', type: 'Bot' },
        performed_via_github_app: { slug: 'github-actions' },
        created_at: '2026-10-05T10:00:00Z',
      },
    ]);

    expect(deployment?.productionEnvironment).toBe(false);
    expect(deployment?.performedViaApp).toBe('github-actions');
    expect(deployment?.createdAt).toBe('2026-10-05T10:00:00.000Z');
  });

  it('refuses a deployment whose SHA is not a SHA', () => {
    expect(() =>
      parseDeploymentsPage([
        { id: 1, sha: 'main', ref: 'main', environment: 'x', created_at: '2026-10-05T10:00:00Z' },
      ]),
    ).toThrow(/sha/);
  });

  it('finds the run id in a job or run URL and nothing in other URLs', () => {
    expect(workflowRunIdFromUrl('https://github.com/acme/api/actions/runs/123')).toBe(123);
    expect(workflowRunIdFromUrl('https://github.com/acme/api/actions/runs/123/job/9')).toBe(123);
    expect(workflowRunIdFromUrl('https://ci.example/runs/123')).toBeUndefined();
    expect(workflowRunIdFromUrl(null)).toBeUndefined();
  });

  it('reads jobs with open ends as null', () => {
    expect(
      parseWorkflowJobs([
        {
          name: 'deploy',
          status: 'in_progress',
          conclusion: null,
          started_at: '2026-10-05T10:00:00Z',
          completed_at: null,
        },
      ]),
    ).toEqual([
      {
        name: 'deploy',
        status: 'in_progress',
        conclusion: null,
        startedAt: '2026-10-05T10:00:00.000Z',
        completedAt: null,
      },
    ]);
  });
});
