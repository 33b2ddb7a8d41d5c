import { describe, expect, it } from 'vitest';
import { parseWorld, type WorldInput } from '../../emulator/world.ts';
import { InputError } from '../../lambdas/errors.ts';
import { shaOf, WorldBuilder } from './world-builder.ts';

function validInput(): WorldInput {
  const world = new WorldBuilder({ plan: 'team' });
  world.user('bob');
  const other = world.repo('web');
  const repo = world.repo('payments-api');
  other.mergePullRequest({ author: 'octocat', mergedAt: '2026-10-02T10:00:00Z' });
  const pr = repo.mergePullRequest({ author: 'octocat', reviews: [{ author: 'bob', state: 'APPROVED' }] });
  repo.check(pr.headSha, { name: 'unit' });
  repo.mergePullRequest({ author: 'octocat' });
  return JSON.parse(JSON.stringify(world.toInput())) as WorldInput;
}

function refusal(mutate: (world: WorldInput & Record<string, unknown>) => void): InputError {
  const world = validInput() as WorldInput & Record<string, unknown>;
  mutate(world);
  try {
    parseWorld(world);
  } catch (error: unknown) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('the world was accepted');
}

// biome-ignore lint/suspicious/noExplicitAny: tests break worlds on purpose, past what the types allow
type Loose = any;
const repos = (world: WorldInput): Loose[] => world.repos as Loose[];

describe('parseWorld', () => {
  it('accepts a valid world and fills in defaults', () => {
    const world = parseWorld(validInput());

    expect(world.repos).toHaveLength(2);
    expect(world.users.find((user) => user.login === 'bob')?.type).toBe('User');
    expect(world.repos[1]?.pullRequests[0]?.labels).toEqual([]);
  });

  it('names the path of a time that is not ISO-8601', () => {
    const error = refusal((world) => {
      repos(world)[1].pullRequests[1].mergedAt = 'last Tuesday';
    });

    expect(error.field).toBe('repos[1].pullRequests[1].mergedAt');
    expect(error.message).toBe('repos[1].pullRequests[1].mergedAt: not an ISO-8601 time');
  });

  it('names the path of a malformed SHA', () => {
    const error = refusal((world) => {
      repos(world)[0].commits[0].sha = 'ABC';
    });

    expect(error.message).toMatch(/^repos\[0\]\.commits\[0\]\.sha: not a SHA/);
  });

  it('refuses a branch head that is not among the commits', () => {
    const error = refusal((world) => {
      repos(world)[0].branches.main = shaOf('nowhere');
    });

    expect(error.field).toBe('repos[0].branches.main');
    expect(error.message).toContain('is not in repos[0].commits');
  });

  it('refuses a pull request commit, merge commit or reviewed commit that does not exist', () => {
    const missing = shaOf('missing');

    expect(
      refusal((world) => {
        repos(world)[1].pullRequests[0].commits[0] = missing;
      }).field,
    ).toBe('repos[1].pullRequests[0].commits[0]');
    expect(
      refusal((world) => {
        repos(world)[1].pullRequests[0].mergeCommit = missing;
      }).field,
    ).toBe('repos[1].pullRequests[0].mergeCommit');
    expect(
      refusal((world) => {
        repos(world)[1].pullRequests[0].reviews[0].commit = missing;
      }).field,
    ).toBe('repos[1].pullRequests[0].reviews[0].commit');
    expect(
      refusal((world) => {
        repos(world)[1].checks[0].commit = missing;
      }).field,
    ).toBe('repos[1].checks[0].commit');
  });

  it('refuses duplicate pull request numbers', () => {
    const error = refusal((world) => {
      repos(world)[1].pullRequests[1].number = repos(world)[1].pullRequests[0].number;
    });

    expect(error.field).toBe('repos[1].pullRequests[1].number');
    expect(error.message).toContain('duplicate pull request number');
  });

  it('refuses a team member who is not a user, an unknown plan and a bad login', () => {
    expect(
      refusal((world) => {
        world.teams = { sre: ['nobody'] };
      }).field,
    ).toBe('teams.sre[0]');
    expect(
      refusal((world) => {
        world.plan = 'gold' as Loose;
      }).message,
    ).toContain('plan:');
    expect(
      refusal((world) => {
        repos(world)[1].pullRequests[0].author = 'not a login';
      }).field,
    ).toBe('repos[1].pullRequests[0].author');
  });

  it('refuses a missing required field, naming it', () => {
    const error = refusal((world) => {
      delete repos(world)[0].commits[1].committedAt;
    });

    expect(error.message).toBe('repos[0].commits[1].committedAt: not an ISO-8601 time');
  });

  it('refuses a check conclusion that does not fit its kind', () => {
    const error = refusal((world) => {
      repos(world)[1].checks[0].conclusion = 'ERROR';
    });

    expect(error.field).toBe('repos[1].checks[0].conclusion');
  });

  it('accepts the optional extensions: workflow runs, performedViaApp and user types', () => {
    const builder = new WorldBuilder();
    builder.user('deploy-bot', { type: 'Bot' });
    const repo = builder.repo('api');
    repo.deployment({ createdAt: '2026-10-03T00:00:00Z', performedViaApp: 'github-actions' });
    repo.workflowRun({
      id: 77,
      createdAt: '2026-10-03T00:00:00Z',
      jobs: [
        { name: 'deploy', status: 'completed', conclusion: 'success', startedAt: '2026-10-03T00:01:00Z' },
      ],
    });

    const world = builder.build();

    expect(world.users.find((user) => user.login === 'deploy-bot')?.type).toBe('Bot');
    expect(world.repos[0]?.deployments[0]?.performedViaApp).toBe('github-actions');
    expect(world.repos[0]?.workflowRuns[0]?.jobs[0]?.name).toBe('deploy');
  });
});
