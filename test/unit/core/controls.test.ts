import { describe, expect, it } from 'vitest';
import { parseSections } from '../../../lambdas/core/controls/change-record.ts';
import {
  approval,
  branchCommit,
  CLERK,
  CLICKI,
  check,
  collectionRun,
  commit,
  deployment,
  directPush,
  evidenceOf,
  judge,
  mergeOf,
  only,
  override,
  pipeline,
  protection,
  pullRequest,
  sha,
  team,
} from './builders.ts';

const MERGED = '2026-10-05T12:00:00.000Z';
const at = (minutesAfterMerge: number) =>
  new Date(Date.parse(MERGED) + minutesAfterMerge * 60_000).toISOString();

/** A PR that passes everything, its merge commit, and its deployments. */
function goodChange(number = 101, overrides: Parameters<typeof pullRequest>[2] = {}) {
  const pr = pullRequest(number, MERGED, overrides);
  return { pr, merge: mergeOf(pr), deployments: pipeline(number * 10, pr.doc.data.mergeCommit!.sha, at(10)) };
}

function prEvidence(
  overrides: Parameters<typeof pullRequest>[2] = {},
  extra: Parameters<typeof evidenceOf>[0] = {},
) {
  const { pr, merge, deployments } = goodChange(101, overrides);
  return evidenceOf({ pullRequests: [pr], branchCommits: [merge], deployments, ...extra });
}

describe('PR-REQUIRED', () => {
  it('passes a change merged through a PR', () => {
    const result = only(judge('PR-REQUIRED', prEvidence()), 101);
    expect(result.verdict).toBe('pass');
    expect(result.reasons[0]).toContain('merged through PR #101 by alice');
  });

  it('fails a direct push no override covers, naming the pusher', () => {
    const push = directPush('hotfix', at(0), 'mallory');
    const result = only(judge('PR-REQUIRED', evidenceOf({ branchCommits: [push] })), sha('hotfix'));
    expect(result.verdict).toBe('fail');
    expect(result.reasons[0]).toMatch(/pushed directly to main by mallory .* without a pull request/);
  });

  it('passes a direct push that an override event covers', () => {
    const push = directPush('hotfix', at(0), 'dave');
    const evidence = evidenceOf({ branchCommits: [push], overrides: [override(sha('hotfix'), at(0))] });
    const result = only(judge('PR-REQUIRED', evidence), sha('hotfix'));
    expect(result.verdict).toBe('pass');
    expect(result.reasons[0]).toContain('covered by an override by dave');
  });
});

describe('PR-REQUIRED on a real organisation', () => {
  it('fails a PR head pushed straight to main that GitHub marks merged', () => {
    const pr = pullRequest(130, MERGED);
    const head = pr.doc.data.commits[0]!;
    const marked = pullRequest(130, MERGED, { mergeCommit: head });
    const pushed = branchCommit(head, {
      associatedPullRequests: [{ number: 130, mergedAt: MERGED, mergeCommitSha: head.sha, baseRef: 'main' }],
      activity: {
        id: 5,
        activityType: 'push',
        actor: 'alice',
        timestamp: MERGED,
        before: null,
        after: head.sha,
      },
    });
    const results = judge('PR-REQUIRED', evidenceOf({ pullRequests: [marked], branchCommits: [pushed] }));
    expect([...results.keys()]).toEqual([`acme/payments-api@${head.sha}`]);
    const result = only(results, head.sha);
    expect(result.verdict).toBe('fail');
    expect(result.reasons[0]).toContain('GitHub marks PR #130 merged');
  });

  it('passes the same PR head pushed under an override, still naming the push', () => {
    const pr = pullRequest(131, MERGED);
    const head = pr.doc.data.commits[0]!;
    const pushed = branchCommit(head, {
      associatedPullRequests: [{ number: 131, mergedAt: MERGED, mergeCommitSha: head.sha, baseRef: 'main' }],
      activity: {
        id: 6,
        activityType: 'push',
        actor: 'dave',
        timestamp: MERGED,
        before: null,
        after: head.sha,
      },
    });
    const evidence = evidenceOf({
      pullRequests: [pullRequest(131, MERGED, { mergeCommit: head })],
      branchCommits: [pushed],
      overrides: [override(head.sha, MERGED)],
    });
    const result = only(judge('PR-REQUIRED', evidence), head.sha);
    expect(result.verdict).toBe('pass');
    expect(result.reasons[0]).toContain('covered by an override');
  });

  it('says so when only the PR association, not activity, shows the merge', () => {
    const pr = pullRequest(132, MERGED);
    const merge = mergeOf(pr, { activity: null });
    const result = only(
      judge('PR-REQUIRED', evidenceOf({ pullRequests: [pr], branchCommits: [merge] })),
      132,
    );
    expect(result.verdict).toBe('pass');
    expect(result.reasons[0]).toContain('repository activity does not show how it arrived');
  });

  it('judges a commit of 29 September pushed on 2 October in October, dated by the push', () => {
    const old = commit('late-push', '2026-09-29T16:00:00Z', { author: 'mallory', committer: 'mallory' });
    const pushed = branchCommit(old, {
      activity: {
        id: 8,
        activityType: 'push',
        actor: 'mallory',
        timestamp: '2026-10-02T09:00:00Z',
        before: null,
        after: old.sha,
      },
    });
    const result = only(judge('PR-REQUIRED', evidenceOf({ branchCommits: [pushed] })), old.sha);
    expect(result.verdict).toBe('fail');
    expect(result.change.mergedAt).toBe('2026-10-02T09:00:00Z');
  });
});

describe('TICKET-LINKED', () => {
  it('passes a PR whose title names a Linear key', () => {
    expect(only(judge('TICKET-LINKED', prEvidence()), 101).reasons[0]).toContain('ENG-101');
  });

  it('passes a PR whose only ticket is a Linear link in the body', () => {
    const evidence = prEvidence({
      title: 'Fix typo',
      headRef: 'fix-typo',
      body: 'See https://linear.app/acme/issue/PAY-7 please',
    });
    const result = only(judge('TICKET-LINKED', evidence), 101);
    expect(result.verdict).toBe('pass');
    expect(result.reasons[0]).toContain('linear.app/acme/issue/PAY-7');
  });

  it('fails a PR naming no ticket anywhere', () => {
    const evidence = prEvidence({ title: 'Fix typo', headRef: 'fix-typo', body: 'small fix, see eng-12' });
    expect(only(judge('TICKET-LINKED', evidence), 101).verdict).toBe('fail');
  });

  it('fails a direct push', () => {
    const evidence = evidenceOf({ branchCommits: [directPush('x', at(0))] });
    expect(only(judge('TICKET-LINKED', evidence), sha('x')).verdict).toBe('fail');
  });
});

describe('CI-PASSED', () => {
  const head = sha('head-101');

  it('passes when every required and categorised check succeeded on the head before merge', () => {
    const result = only(judge('CI-PASSED', prEvidence()), 101);
    expect(result.verdict).toBe('pass');
    expect(result.reasons[0]).toContain('unit SUCCESS');
  });

  it('fails when a required check failed, naming it', () => {
    const checks = [
      check('unit', head, at(-60), 'FAILURE'),
      ...['integration', 'sca', 'sast'].map((n) => check(n, head, at(-60))),
    ];
    const result = only(judge('CI-PASSED', prEvidence({ checks })), 101);
    expect(result.verdict).toBe('fail');
    expect(result.reasons.join()).toContain('required check unit concluded FAILURE');
  });

  it('fails when a check completed only after the merge', () => {
    const checks = [
      check('unit', head, at(5)),
      ...['integration', 'sca', 'sast'].map((n) => check(n, head, at(-60))),
    ];
    const result = only(judge('CI-PASSED', prEvidence({ checks })), 101);
    expect(result.verdict).toBe('fail');
    expect(result.reasons.join()).toContain('completed only after the merge');
  });

  it('counts the latest run before merge when a failed check was re-run green', () => {
    const checks = [
      check('unit', head, at(-90), 'FAILURE'),
      check('unit', head, at(-30)),
      ...['integration', 'sca', 'sast'].map((n) => check(n, head, at(-60))),
    ];
    expect(only(judge('CI-PASSED', prEvidence({ checks })), 101).verdict).toBe('pass');
  });

  it('fails when a category the profile requires never ran (e.g. no SAST scan)', () => {
    const checks = ['unit', 'integration', 'sca'].map((n) => check(n, head, at(-60)));
    const evidence = prEvidence({ checks }, { branchProtection: [] });
    const withProtection = {
      ...evidence,
      branchProtection: prEvidence().branchProtection.map((p) => ({
        ...p,
        doc: {
          ...p.doc,
          data: { ...p.doc.data, protection: { ...p.doc.data.protection!, requiredStatusChecks: [] } },
        },
      })),
    };
    const result = only(judge('CI-PASSED', withProtection), 101);
    expect(result.verdict).toBe('fail');
    expect(result.reasons.join()).toContain('no sast check ran');
  });

  it('is unknown when no checks were collected', () => {
    expect(only(judge('CI-PASSED', prEvidence({ checks: [] })), 101).verdict).toBe('unknown');
  });

  it('is unknown when no branch-protection snapshot names the required checks', () => {
    const result = only(judge('CI-PASSED', prEvidence({}, { branchProtection: [] })), 101);
    expect(result.verdict).toBe('unknown');
    expect(result.reasons[0]).toContain('no branch-protection snapshot');
  });
});

describe('PEER-REVIEW', () => {
  it('passes an approval by someone else on the merged head', () => {
    const result = only(judge('PEER-REVIEW', prEvidence()), 101);
    expect(result.verdict).toBe('pass');
    expect(result.reasons[0]).toMatch(/approved by bob at .* on head commit/);
  });

  it('fails when the only approval covers an earlier commit', () => {
    const early = commit('early-101', at(-200));
    const reviews = [approval('bob', at(-150), early.sha)];
    const result = only(judge('PEER-REVIEW', prEvidence({ reviews })), 101);
    expect(result.verdict).toBe('fail');
    expect(result.reasons.join()).toContain('code was pushed after it');
  });

  it('fails a dismissed approval and a self-approval', () => {
    const dismissed = {
      ...approval('bob', at(-30), sha('head-101')),
      state: 'DISMISSED',
      previousState: 'APPROVED',
      dismissedAt: at(-20),
      dismissedBy: 'alice',
    };
    const result = only(
      judge('PEER-REVIEW', prEvidence({ reviews: [dismissed, approval('alice', at(-10), sha('head-101'))] })),
      101,
    );
    expect(result.verdict).toBe('fail');
    expect(result.reasons.join()).toContain('dismissed by alice');
    expect(result.reasons.join()).toContain('the only approval is by the author alice');
  });

  it('fails an approval submitted after the merge', () => {
    const result = only(
      judge('PEER-REVIEW', prEvidence({ reviews: [approval('bob', at(30), sha('head-101'))] })),
      101,
    );
    expect(result.verdict).toBe('fail');
  });

  it('is unknown when the review list is incomplete and holds no approval', () => {
    const completeness = [{ field: 'reviews', collected: 100, total: 120, reason: 'GitHub caps reviews' }];
    expect(only(judge('PEER-REVIEW', prEvidence({ reviews: [], completeness })), 101).verdict).toBe(
      'unknown',
    );
  });

  it('is not applicable to a standard change under Clicki, but fails the same PR under Clerk', () => {
    const evidence = prEvidence({ reviews: [], labels: ['standard-change'] });
    expect(only(judge('PEER-REVIEW', evidence, { profile: CLICKI }), 101).verdict).toBe('not_applicable');
    expect(only(judge('PEER-REVIEW', evidence), 101).verdict).toBe('fail');
  });
});

describe('SECURITY-REVIEW', () => {
  const files = [{ path: 'src/auth/jwt.ts', additions: 3, deletions: 1, changeType: 'MODIFIED' }];

  it('is not applicable to a PR touching no security path and without the label', () => {
    expect(only(judge('SECURITY-REVIEW', prEvidence()), 101).verdict).toBe('not_applicable');
  });

  it('passes an auth change approved by a Security Champ', () => {
    const reviews = [approval('carol', at(-20), sha('head-101'))];
    const result = only(judge('SECURITY-REVIEW', prEvidence({ files, reviews })), 101);
    expect(result.verdict).toBe('pass');
    expect(result.reasons[0]).toContain('approved by carol (Security Champs');
  });

  it('fails an auth change approved only by a non-champion', () => {
    const result = only(judge('SECURITY-REVIEW', prEvidence({ files })), 101);
    expect(result.verdict).toBe('fail');
    expect(result.reasons[0]).toContain('changes src/auth/jwt.ts');
    expect(result.reasons[0]).toContain('carol');
  });

  it('applies to a PR carrying the security label', () => {
    expect(only(judge('SECURITY-REVIEW', prEvidence({ labels: ['security'] })), 101).verdict).toBe('fail');
  });

  it('is unknown when the Security Champs membership was not snapshotted', () => {
    const evidence = prEvidence({ files }, { teams: [team('sre', ['dave'])] });
    expect(only(judge('SECURITY-REVIEW', evidence), 101).verdict).toBe('unknown');
  });

  it('is unknown for a direct push, whose files are not collected', () => {
    const evidence = evidenceOf({ branchCommits: [directPush('x', at(0))] });
    expect(only(judge('SECURITY-REVIEW', evidence), sha('x')).verdict).toBe('unknown');
  });
});

describe('IAC-SIGNOFF', () => {
  const files = [{ path: 'infra/main.tf', additions: 3, deletions: 1, changeType: 'MODIFIED' }];

  it('is not applicable without IaC paths or label', () => {
    expect(only(judge('IAC-SIGNOFF', prEvidence()), 101).verdict).toBe('not_applicable');
  });

  it('passes a Terraform change approved by SRE', () => {
    const reviews = [approval('dave', at(-20), sha('head-101'))];
    expect(only(judge('IAC-SIGNOFF', prEvidence({ files, reviews })), 101).verdict).toBe('pass');
  });

  it('fails a Terraform change without SRE approval', () => {
    expect(only(judge('IAC-SIGNOFF', prEvidence({ files })), 101).verdict).toBe('fail');
  });

  it('treats lib/**/*.ts as IaC only in a CDK repository', () => {
    const lib = [{ path: 'lib/stack.ts', additions: 1, deletions: 0, changeType: 'MODIFIED' }];
    const withFiles = (cdkJsonAtRoot: boolean) => {
      const snapshot = protection();
      return {
        ...snapshot,
        doc: {
          ...snapshot.doc,
          data: { ...snapshot.doc.data, defaultBranchFiles: { codeowners: null, cdkJsonAtRoot } },
        },
      };
    };
    // No snapshot read the default branch's files: whether it is a CDK app is not known.
    expect(only(judge('IAC-SIGNOFF', prEvidence({ files: lib })), 101).verdict).toBe('unknown');
    const cdk = prEvidence({ files: lib }, { branchProtection: [withFiles(true)] });
    expect(only(judge('IAC-SIGNOFF', cdk), 101).verdict).toBe('fail');
    const plain = prEvidence({ files: lib }, { branchProtection: [withFiles(false)] });
    expect(only(judge('IAC-SIGNOFF', plain), 101).verdict).toBe('not_applicable');
    const listed = { ...CLERK, parameters: { ...CLERK.parameters, cdkRepositories: ['payments-api'] } };
    expect(only(judge('IAC-SIGNOFF', plain, { profile: listed }), 101).verdict).toBe('fail');
    const touchesCdkJson = pullRequest(102, at(60), {
      files: [{ path: 'cdk.json', additions: 1, deletions: 0, changeType: 'ADDED' }],
    });
    const withCdk = { ...plain, pullRequests: [...plain.pullRequests, touchesCdkJson] };
    expect(only(judge('IAC-SIGNOFF', withCdk), 101).verdict).toBe('fail');
  });
});

describe('SIGNED-COMMITS', () => {
  it('passes when the PR commits and the merge commit are validly signed', () => {
    expect(only(judge('SIGNED-COMMITS', prEvidence()), 101).verdict).toBe('pass');
  });

  it('fails an unsigned PR commit a merge commit brought onto the branch, naming it', () => {
    const unsigned = commit('head-101', at(-120), { signature: null });
    const merge = commit('merge-101', MERGED, { parents: [sha('base'), unsigned.sha] });
    const pr = pullRequest(101, MERGED, { commits: [unsigned], mergeCommit: merge });
    const result = only(judge('SIGNED-COMMITS', evidenceOf({ pullRequests: [pr] })), 101);
    expect(result.verdict).toBe('fail');
    expect(result.reasons[0]).toContain(`commit ${sha('head-101').slice(0, 7)} by alice is not signed`);
  });

  it('passes a squash whose unsigned branch commits were squashed away, listing them', () => {
    const unsigned = commit('head-101', at(-120), { signature: null });
    const result = only(judge('SIGNED-COMMITS', prEvidence({ commits: [unsigned] })), 101);
    expect(result.verdict).toBe('pass');
    expect(result.reasons.join()).toContain(
      `squashed away, never on the default branch: ${sha('head-101').slice(0, 7)}`,
    );
  });

  it('judges a direct push by its own commit', () => {
    const push = directPush('x', at(0), 'mallory', {
      signature: { isValid: false, state: 'BAD_EMAIL', signer: null },
    });
    const result = only(judge('SIGNED-COMMITS', evidenceOf({ branchCommits: [push] })), sha('x'));
    expect(result.verdict).toBe('fail');
    expect(result.reasons[0]).toContain('BAD_EMAIL');
  });
});

describe('CD-PIPELINE', () => {
  it('passes staging then canary then production by the CD bot', () => {
    const result = only(judge('CD-PIPELINE', prEvidence()), 101);
    expect(result.verdict).toBe('pass');
    expect(result.reasons[0]).toContain('followed staging');
  });

  it('fails a production deployment that skipped canary', () => {
    const { pr, merge, deployments } = goodChange();
    const evidence = evidenceOf({
      pullRequests: [pr],
      branchCommits: [merge],
      deployments: deployments.filter((d) => d.doc.data.environment !== 'canary'),
    });
    const result = only(judge('CD-PIPELINE', evidence), 101);
    expect(result.verdict).toBe('fail');
    expect(result.reasons[0]).toContain('not deployed successfully to canary');
  });

  it('fails a production deployment created by hand', () => {
    const { pr, merge, deployments } = goodChange();
    const manual = deployments.map((d) =>
      d.doc.data.environment === 'production'
        ? { ...d, doc: { ...d.doc, data: { ...d.doc.data, creator: { login: 'dave', type: 'User' } } } }
        : d,
    );
    const result = only(
      judge('CD-PIPELINE', evidenceOf({ pullRequests: [pr], branchCommits: [merge], deployments: manual })),
      101,
    );
    expect(result.verdict).toBe('fail');
    expect(result.reasons[0]).toContain('created by dave, not by the CD automation');
  });

  it('judges a change by the later deployment that contains it', () => {
    const first = goodChange(101);
    const second = pullRequest(102, at(30), {
      mergeCommit: commit('merge-102', at(30), { parents: [sha('merge-101')] }),
    });
    const evidence = evidenceOf({
      pullRequests: [first.pr, second],
      branchCommits: [first.merge, mergeOf(second)],
      deployments: pipeline(500, sha('merge-102'), at(40)),
    });
    const results = judge('CD-PIPELINE', evidence);
    expect(only(results, 101).verdict).toBe('pass');
    expect(only(results, 101).reasons[0]).toContain(sha('merge-102').slice(0, 7));
  });

  it('is not applicable to a change never deployed to production, unknown when deployments had a gap', () => {
    const { pr, merge } = goodChange();
    expect(
      only(judge('CD-PIPELINE', evidenceOf({ pullRequests: [pr], branchCommits: [merge] })), 101).verdict,
    ).toBe('not_applicable');
    const gap = collectionRun([
      { withholds: 'deployments', repo: null, reason: 'deployments API returned 502' },
    ]);
    expect(
      only(judge('CD-PIPELINE', evidenceOf({ pullRequests: [pr], branchCommits: [merge], runs: [gap] })), 101)
        .verdict,
    ).toBe('unknown');
  });
});

describe('ROLLBACK', () => {
  const good = sha('merge-100');
  /** An earlier good production deployment of merge-100, then the change's pipeline. */
  function withFailure(after: (failedAt: string) => ReturnType<typeof deployment>[]) {
    const { pr, merge } = goodChange();
    const mergeSha = pr.doc.data.mergeCommit!.sha;
    const failedAt = at(35);
    return evidenceOf({
      pullRequests: [pr],
      branchCommits: [merge],
      deployments: [
        deployment(1, good, 'production', at(-600)),
        ...pipeline(1010, mergeSha, at(10), [
          { state: 'in_progress', at: at(31) },
          { state: 'failure', at: failedAt },
        ]),
        ...after(failedAt),
      ],
    });
  }

  it('passes a deployed change whose production deployment did not fail', () => {
    expect(only(judge('ROLLBACK', prEvidence()), 101).verdict).toBe('pass');
  });

  it('passes a failed deployment followed by the previous good SHA within the window', () => {
    const evidence = withFailure(() => [deployment(2, good, 'production', at(45))]);
    const result = only(judge('ROLLBACK', evidence), 101);
    expect(result.verdict).toBe('pass');
    expect(result.reasons[0]).toContain('redeployed by deployment 2');
  });

  it('fails a failed deployment not rolled back within 60 minutes', () => {
    const evidence = withFailure(() => [deployment(2, good, 'production', at(35 + 90))]);
    const result = only(judge('ROLLBACK', evidence), 101);
    expect(result.verdict).toBe('fail');
    expect(result.reasons[0]).toContain('within 60 minutes');
  });

  it('is not applicable to a change never deployed to production', () => {
    const { pr, merge } = goodChange();
    expect(
      only(judge('ROLLBACK', evidenceOf({ pullRequests: [pr], branchCommits: [merge] })), 101).verdict,
    ).toBe('not_applicable');
  });
});

describe('EMERGENCY', () => {
  const labelled = (actor: string, comments: { author: string; createdAt: string; body: string }[]) =>
    prEvidence({
      labels: ['emergency-change'],
      labelEvents: [{ name: 'emergency-change', action: 'added', actor, at: at(-100) }],
      comments: comments.map((c) => ({ ...c, url: null })),
    });

  it('is not applicable to a PR without the emergency label and no override', () => {
    expect(only(judge('EMERGENCY', prEvidence()), 101).verdict).toBe('not_applicable');
  });

  it('passes a label by an Incident Commander, a retrospective in 24 h and a post-mortem link in 5 days', () => {
    const evidence = labelled('erin', [
      { author: 'alice', createdAt: at(60), body: 'Retrospective: rolled forward.' },
      { author: 'erin', createdAt: at(60 * 48), body: 'Post-mortem: https://docs.example/pm/12' },
    ]);
    const result = only(judge('EMERGENCY', evidence), 101);
    expect(result.verdict).toBe('pass');
    expect(result.reasons.join()).toContain('Incident Commander erin');
  });

  it('fails a label added by someone who is no Incident Commander', () => {
    const evidence = labelled('alice', [
      { author: 'alice', createdAt: at(60), body: 'retrospective done' },
      { author: 'erin', createdAt: at(60), body: 'postmortem https://x.example/1' },
    ]);
    const result = only(judge('EMERGENCY', evidence), 101);
    expect(result.verdict).toBe('fail');
    expect(result.reasons.join()).toContain('not by an Incident Commander');
  });

  it('fails a retrospective posted after 24 hours', () => {
    const evidence = labelled('erin', [
      { author: 'alice', createdAt: at(60 * 30), body: 'retrospective' },
      { author: 'erin', createdAt: at(60), body: 'post-mortem https://x.example/1' },
    ]);
    const result = only(judge('EMERGENCY', evidence), 101);
    expect(result.verdict).toBe('fail');
    expect(result.reasons.join()).toContain('no retrospective record within 24 h');
  });

  it('is unknown while the post-mortem deadline had not passed at collection', () => {
    const { pr, merge } = goodChange(101, {
      labels: ['emergency-change'],
      labelEvents: [{ name: 'emergency-change', action: 'added', actor: 'erin', at: at(-100) }],
      comments: [{ author: 'alice', createdAt: at(60), body: 'retrospective', url: null }],
    });
    const early = { ...pr, doc: { ...pr.doc, provenance: { ...pr.doc.provenance, fetchedAt: at(60 * 30) } } };
    expect(
      only(judge('EMERGENCY', evidenceOf({ pullRequests: [early], branchCommits: [merge] })), 101).verdict,
    ).toBe('unknown');
  });

  it('applies to a direct push under an override, which has no PR to hold the records', () => {
    const push = directPush('hotfix', at(0), 'dave');
    const evidence = evidenceOf({ branchCommits: [push], overrides: [override(sha('hotfix'), at(0))] });
    expect(only(judge('EMERGENCY', evidence), sha('hotfix')).verdict).toBe('fail');
  });
});

describe('OVERRIDE', () => {
  const justified = 'Hotfix payments outage\n\nJustification: checkout down\nRisk: low, one-line change\n';

  it('is not applicable when no override covers the change', () => {
    expect(only(judge('OVERRIDE', prEvidence()), 101).verdict).toBe('not_applicable');
  });

  it('passes an override by an approver with a justified commit', () => {
    const push = directPush('hotfix', at(0), 'dave', { message: justified });
    const evidence = evidenceOf({ branchCommits: [push], overrides: [override(sha('hotfix'), at(0))] });
    const result = only(judge('OVERRIDE', evidence), sha('hotfix'));
    expect(result.verdict).toBe('pass');
    expect(result.reasons.join()).toContain('dave is an override approver');
  });

  it('fails an override whose Approved-by approver left no trace in GitHub: the pusher wrote the trailer', () => {
    const push = directPush('hotfix', at(0), 'mallory', { message: `${justified}Approved-by: @frank\n` });
    const evidence = evidenceOf({
      branchCommits: [push],
      overrides: [override(sha('hotfix'), at(0), { actor: 'mallory' })],
    });
    const result = only(judge('OVERRIDE', evidence), sha('hotfix'));
    expect(result.verdict).toBe('fail');
    expect(result.reasons.join()).toContain('approval not corroborated');
  });

  it('passes an Approved-by approver who also commented on the change', () => {
    const merge = commit('merge-101', MERGED, {
      message: `${justified}Approved-by: frank\n`,
      parents: [sha('base')],
    });
    const comments = [{ author: 'frank', createdAt: at(-30), body: 'Approved for the outage.', url: null }];
    const evidence = prEvidence(
      { mergeCommit: merge, comments },
      { overrides: [override(merge.sha, MERGED, { actor: 'mallory', pullRequest: 101 })] },
    );
    const result = only(judge('OVERRIDE', evidence), 101);
    expect(result.verdict).toBe('pass');
    expect(result.reasons.join()).toContain('corroborated');
  });

  it('fails an override whose commit lacks a risk assessment', () => {
    const push = directPush('hotfix', at(0), 'dave', { message: 'Hotfix\n\nJustification: outage\n' });
    const evidence = evidenceOf({ branchCommits: [push], overrides: [override(sha('hotfix'), at(0))] });
    const result = only(judge('OVERRIDE', evidence), sha('hotfix'));
    expect(result.verdict).toBe('fail');
    expect(result.reasons.join()).toContain('lacks a "Risk:" line');
  });

  it('fails an override by someone who is no approver and names none', () => {
    const push = directPush('hotfix', at(0), 'mallory', { message: justified });
    const evidence = evidenceOf({
      branchCommits: [push],
      overrides: [override(sha('hotfix'), at(0), { actor: 'mallory' })],
    });
    expect(only(judge('OVERRIDE', evidence), sha('hotfix')).verdict).toBe('fail');
  });

  it('is unknown when the override-approver membership was not snapshotted', () => {
    const push = directPush('hotfix', at(0), 'dave', { message: justified });
    const evidence = evidenceOf({
      branchCommits: [push],
      overrides: [override(sha('hotfix'), at(0))],
      teams: [],
    });
    expect(only(judge('OVERRIDE', evidence), sha('hotfix')).verdict).toBe('unknown');
  });
});

describe('SEGREGATION', () => {
  it('passes a PR approved by someone else and deployed by the CD bot', () => {
    expect(only(judge('SEGREGATION', prEvidence()), 101).verdict).toBe('pass');
  });

  it('fails a PR no one but its author approved', () => {
    const result = only(judge('SEGREGATION', prEvidence({ reviews: [] })), 101);
    expect(result.verdict).toBe('fail');
    expect(result.reasons[0]).toContain('nobody other than its author alice');
  });

  it('fails when the production deployer is the only reviewer', () => {
    const { pr, merge, deployments } = goodChange();
    const byBob = deployments.map((d) =>
      d.doc.data.environment === 'production'
        ? { ...d, doc: { ...d.doc, data: { ...d.doc.data, creator: { login: 'bob', type: 'User' } } } }
        : d,
    );
    const result = only(
      judge('SEGREGATION', evidenceOf({ pullRequests: [pr], branchCommits: [merge], deployments: byBob })),
      101,
    );
    expect(result.verdict).toBe('fail');
    expect(result.reasons[0]).toContain('bob is both the only approver');
  });

  it('fails a direct push', () => {
    expect(
      only(judge('SEGREGATION', evidenceOf({ branchCommits: [directPush('x', at(0))] })), sha('x')).verdict,
    ).toBe('fail');
  });
});

describe('CHANGE-RECORD', () => {
  it('passes a body with every section filled in', () => {
    expect(only(judge('CHANGE-RECORD', prEvidence()), 101).verdict).toBe('pass');
  });

  it('accepts bold labels with inline text', () => {
    const body =
      '**Description:** adds refunds\n**Systems affected:** payments\n**Risk:** low\n**Rollback:** revert';
    expect(only(judge('CHANGE-RECORD', prEvidence({ body })), 101).verdict).toBe('pass');
  });

  it('fails a template left empty, naming the empty and missing sections', () => {
    const body = '## Description\nAdds refunds\n## Risk\n<!-- describe the risk -->\n## Rollback\n';
    const result = only(judge('CHANGE-RECORD', prEvidence({ body })), 101);
    expect(result.verdict).toBe('fail');
    expect(result.reasons).toEqual([
      'PR #101 body has no section Systems affected',
      'PR #101 body leaves Risk, Rollback empty',
    ]);
  });

  it('splits a body into titled sections', () => {
    expect(parseSections('intro\n# Risk #\nlow\n__Rollback__: revert')).toEqual([
      { title: 'risk', text: 'low' },
      { title: 'rollback', text: 'revert' },
    ]);
  });
});

describe('RETENTION and CHANGE-FAILURE-RATE on a change', () => {
  it('every change carries the period verdicts', () => {
    const evidence = prEvidence();
    expect(only(judge('RETENTION', evidence), 101).verdict).toBe('pass');
    expect(only(judge('CHANGE-FAILURE-RATE', evidence), 101).verdict).toBe('pass');
  });

  it('a failed production deployment makes the period fail the 3 % threshold', () => {
    const { pr, merge } = goodChange();
    const deployments = pipeline(1010, pr.doc.data.mergeCommit!.sha, at(10), 'failure');
    const result = only(
      judge('CHANGE-FAILURE-RATE', evidenceOf({ pullRequests: [pr], branchCommits: [merge], deployments })),
      101,
    );
    expect(result.verdict).toBe('fail');
    expect(result.reasons[0]).toContain('1 of 1 production deployments failed or were rolled back (100.0 %');
  });
});

describe('a direct push on PR-only controls', () => {
  it('fails PEER-REVIEW and CHANGE-RECORD with plain reasons', () => {
    const evidence = evidenceOf({ branchCommits: [branchCommit(commit('lonely', at(0)))] });
    for (const control of ['PEER-REVIEW', 'CHANGE-RECORD', 'CI-PASSED'] as const) {
      const result = only(judge(control, evidence), sha('lonely'));
      expect(result.verdict).toBe('fail');
      expect(result.reasons[0]).toContain('without a pull request');
    }
  });
});
