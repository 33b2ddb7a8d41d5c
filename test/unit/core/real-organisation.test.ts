import { describe, expect, it } from 'vitest';
import {
  approval,
  CLERK,
  CLICKI,
  commit,
  evidenceOf,
  judge,
  mergeOf,
  only,
  pipeline,
  pullRequest,
  sha,
} from './builders.ts';

/**
 * The ways a real organisation slips past a policy, each judged as controls.md's "Deciding a
 * verdict on a real organisation" says, for both shipped profiles where they differ.
 */

const MERGED = '2026-10-05T12:00:00.000Z';
const at = (minutesAfterMerge: number) =>
  new Date(Date.parse(MERGED) + minutesAfterMerge * 60_000).toISOString();

function prEvidence(
  overrides: Parameters<typeof pullRequest>[2] = {},
  extra: Parameters<typeof evidenceOf>[0] = {},
) {
  const pr = pullRequest(101, MERGED, overrides);
  return evidenceOf({
    pullRequests: [pr],
    branchCommits: [mergeOf(pr)],
    deployments: pipeline(1010, pr.doc.data.mergeCommit!.sha, at(10)),
    ...extra,
  });
}

const HEAD = sha('head-101');

describe('approvals count only from an independent person on the merged code', () => {
  const authFiles = [{ path: 'src/auth/jwt.ts', additions: 3, deletions: 1, changeType: 'MODIFIED' }];

  it("does not count a Security Champ's approval of the first commit after more auth code was pushed", () => {
    const first = commit('auth-1', at(-300));
    const second = commit('auth-2', at(-100), { parents: [first.sha] });
    const evidence = prEvidence({
      commits: [first, second],
      headSha: second.sha,
      files: authFiles,
      reviews: [approval('carol', at(-200), first.sha), approval('bob', at(-30), second.sha)],
    });
    for (const profile of [CLERK, CLICKI]) {
      const result = only(judge('SECURITY-REVIEW', evidence, { profile }), 101);
      expect(result.verdict).toBe('fail');
      expect(result.reasons.join()).toContain('code was pushed after it');
    }
  });

  it("does not count a Bot's approval", () => {
    const bot = { ...approval('review-bot', at(-30), HEAD), authorType: 'Bot' };
    const apps = approval('renovate[bot]', at(-25), HEAD);
    for (const profile of [CLERK, CLICKI]) {
      const result = only(judge('PEER-REVIEW', prEvidence({ reviews: [bot, apps] }), { profile }), 101);
      expect(result.verdict).toBe('fail');
      expect(result.reasons.join()).toContain('bot or app account');
      expect(only(judge('SEGREGATION', prEvidence({ reviews: [bot] }), { profile }), 101).verdict).toBe(
        'fail',
      );
    }
  });

  it('does not count the approval of a reviewer who pushed the last commit', () => {
    const mine = commit('alice-1', at(-300));
    const bobs = commit('bob-last', at(-100), { author: 'bob', committer: 'bob', parents: [mine.sha] });
    const evidence = prEvidence({
      commits: [mine, bobs],
      headSha: bobs.sha,
      reviews: [approval('bob', at(-30), bobs.sha)],
    });
    const result = only(judge('PEER-REVIEW', evidence), 101);
    expect(result.verdict).toBe('fail');
    expect(result.reasons.join()).toContain(`bob authored commit ${bobs.sha.slice(0, 7)}`);
    expect(only(judge('SEGREGATION', evidence, { profile: CLICKI }), 101).verdict).toBe('fail');
  });

  it('does not count a co-author, nor whoever pushed a commit of the PR', () => {
    const coAuthored = commit('paired', at(-100), {
      message: 'Pair on refunds\n\nCo-authored-by: Bob Stone <1234+bob@users.noreply.github.com>\n',
    });
    const byCoAuthor = prEvidence({
      commits: [coAuthored],
      headSha: coAuthored.sha,
      reviews: [approval('bob', at(-30), coAuthored.sha)],
    });
    expect(only(judge('PEER-REVIEW', byCoAuthor), 101).reasons.join()).toContain('bob co-authored');
    const pushed = commit('pushed-by-bob', at(-100), { pushedBy: 'bob' });
    const byPusher = prEvidence({
      commits: [pushed],
      headSha: pushed.sha,
      reviews: [approval('bob', at(-30), pushed.sha)],
    });
    expect(only(judge('PEER-REVIEW', byPusher), 101).reasons.join()).toContain('bob pushed');
  });

  it('still counts an approval by someone who only reviewed', () => {
    const evidence = prEvidence({ files: authFiles, reviews: [approval('carol', at(-30), HEAD)] });
    expect(only(judge('PEER-REVIEW', evidence), 101).verdict).toBe('pass');
    expect(only(judge('SECURITY-REVIEW', evidence), 101).verdict).toBe('pass');
  });
});
