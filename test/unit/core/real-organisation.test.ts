import { describe, expect, it } from 'vitest';
import {
  approval,
  CLERK,
  CLICKI,
  check,
  commit,
  evidenceOf,
  judge,
  mergeOf,
  only,
  pipeline,
  protection,
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

  it('reads an approval as unknown, never pass, when who pushed some commits is not known', () => {
    const pushersUnknown = {
      files: authFiles,
      reviews: [approval('carol', at(-30), HEAD)],
      completeness: [
        {
          field: 'pushers',
          collected: 0,
          total: 1,
          reason: 'repository activity could not be read (HTTP 403)',
        },
      ],
    };
    for (const profile of [CLERK, CLICKI]) {
      for (const control of ['PEER-REVIEW', 'SECURITY-REVIEW', 'SEGREGATION'] as const) {
        const result = only(judge(control, prEvidence(pushersUnknown), { profile }), 101);
        expect(result.verdict, `${profile.id} ${control}`).toBe('unknown');
        expect(result.reasons.join()).toContain('who pushed 1 of the PR');
      }
    }
  });

  it('still counts an approval by someone who only reviewed', () => {
    const evidence = prEvidence({ files: authFiles, reviews: [approval('carol', at(-30), HEAD)] });
    expect(only(judge('PEER-REVIEW', evidence), 101).verdict).toBe('pass');
    expect(only(judge('SECURITY-REVIEW', evidence), 101).verdict).toBe('pass');
  });
});

describe('CI-PASSED reads every run, by whole words, from automation', () => {
  const green = (name: string, minutes = -60) => check(name, HEAD, at(minutes));
  const four = () => ['unit', 'integration', 'sast'].map((name) => green(name));

  it('does not take scala-compile for an SCA check', () => {
    const evidence = prEvidence(
      { checks: [...four(), green('scala-compile')] },
      { branchProtection: [protection(undefined, [])] },
    );
    // Clerk requires all four categories; Clicki none, so there it is just not an SCA check.
    const result = only(judge('CI-PASSED', evidence, { profile: CLERK }), 101);
    expect(result.verdict).toBe('fail');
    expect(result.reasons.join()).toContain('no sca check ran');
    expect(only(judge('CI-PASSED', evidence, { profile: CLICKI }), 101).reasons.join()).not.toContain(
      'scala-compile',
    );
    const audited = prEvidence(
      { checks: [...four(), green('npm-audit')] },
      { branchProtection: [protection(undefined, [])] },
    );
    expect(only(judge('CI-PASSED', audited), 101).verdict).toBe('pass');
  });

  it('does not let a status the author posted meet a category', () => {
    const posted = { ...green('unit'), kind: 'status' as const, app: 'alice' };
    const evidence = prEvidence({ checks: [posted, green('integration'), green('sca'), green('sast')] });
    const result = only(judge('CI-PASSED', evidence), 101);
    expect(result.verdict).toBe('fail');
    expect(result.reasons.join()).toContain('status posted by alice');
    // A status a bot posted is automation's word.
    const botPosted = { ...posted, app: 'snyk', creatorType: 'Bot' };
    const byBot = prEvidence({ checks: [botPosted, green('integration'), green('sca'), green('sast')] });
    expect(only(judge('CI-PASSED', byBot), 101).verdict).toBe('pass');
  });

  it('meets an app-bound required check only by that app', () => {
    const bound = protection();
    const tied = {
      ...bound,
      doc: {
        ...bound.doc,
        data: {
          ...bound.doc.data,
          protection: {
            ...bound.doc.data.protection!,
            requiredCheckApps: [{ context: 'unit', appId: 15368 }],
          },
        },
      },
    };
    const byOther = { ...green('unit'), app: 'some-ci', appId: 999 };
    const actions = { ...green('unit'), appId: 15368 };
    const others = [green('integration'), green('sca'), green('sast')];
    const wrongApp = only(
      judge('CI-PASSED', prEvidence({ checks: [byOther, ...others] }, { branchProtection: [tied] })),
      101,
    );
    expect(wrongApp.verdict).toBe('fail');
    expect(wrongApp.reasons.join()).toContain('tied to app 15368');
    const rightApp = only(
      judge('CI-PASSED', prEvidence({ checks: [actions, ...others] }, { branchProtection: [tied] })),
      101,
    );
    expect(rightApp.verdict).toBe('pass');
  });

  it('lets SKIPPED satisfy a required check but never a category', () => {
    const skipped = check('lint', HEAD, at(-60), 'SKIPPED');
    const evidence = prEvidence(
      { checks: [...four(), green('sca'), skipped] },
      { branchProtection: [protection(undefined, ['lint'])] },
    );
    expect(only(judge('CI-PASSED', evidence), 101).verdict).toBe('pass');
    const skippedSast = prEvidence(
      {
        checks: [green('unit'), green('integration'), green('sca'), check('sast', HEAD, at(-60), 'SKIPPED')],
      },
      { branchProtection: [protection(undefined, [])] },
    );
    expect(only(judge('CI-PASSED', skippedSast), 101).verdict).toBe('fail');
  });

  it('keeps a pass before the merge when a re-run after it failed, and a re-run after the merge rescues nothing', () => {
    const rerunFailed = check('unit', HEAD, at(30), 'FAILURE');
    const kept = prEvidence({ checks: [...four(), green('sca'), rerunFailed] });
    expect(only(judge('CI-PASSED', kept), 101).verdict).toBe('pass');
    const failedBefore = check('unit', HEAD, at(-60), 'FAILURE');
    const rerunGreen = check('unit', HEAD, at(30));
    const rescued = prEvidence({
      checks: [failedBefore, rerunGreen, green('integration'), green('sca'), green('sast')],
    });
    const result = only(judge('CI-PASSED', rescued), 101);
    expect(result.verdict).toBe('fail');
    expect(result.reasons.join()).toContain('concluded FAILURE');
  });
});

describe('TICKET-LINKED names a ticket, not a standard', () => {
  it('does not take "Switch to SHA-256 digests" for ticket SHA-256', () => {
    const evidence = prEvidence({ title: 'Switch to SHA-256 digests', headRef: 'switch-digests', body: '' });
    for (const profile of [CLERK, CLICKI]) {
      const result = only(judge('TICKET-LINKED', evidence, { profile }), 101);
      expect(result.verdict).toBe('fail');
      expect(result.reasons[0]).toContain('SHA-256 is not a ticket key');
    }
  });

  it("matches Linear's lower-case branch names", () => {
    const evidence = prEvidence({ title: 'Refunds', headRef: 'alice/eng-12-refunds', body: '' });
    const result = only(judge('TICKET-LINKED', evidence), 101);
    expect(result.verdict).toBe('pass');
    expect(result.reasons[0]).toContain('ENG-12');
  });

  it('counts only the listed keys when the profile lists them', () => {
    const listed = { ...CLERK, parameters: { ...CLERK.parameters, ticketKeys: ['ENG', 'CHK'] } };
    const other = prEvidence({ title: 'PAY-7 Refunds', headRef: 'pay-7', body: '' });
    expect(only(judge('TICKET-LINKED', other, { profile: listed }), 101).verdict).toBe('fail');
    const chk = prEvidence({ title: 'CHK-7 Refunds', headRef: 'x', body: '' });
    expect(only(judge('TICKET-LINKED', chk, { profile: listed }), 101).verdict).toBe('pass');
  });
});

describe('security and IaC paths of the shipped profiles', () => {
  const changes = (path: string) => [{ path, additions: 1, deletions: 0, changeType: 'MODIFIED' }];
  const withFiles = (files: {
    codeowners: { path: string; text: string } | null;
    cdkJsonAtRoot: boolean;
  }) => {
    const snapshot = protection();
    return {
      ...snapshot,
      doc: { ...snapshot.doc, data: { ...snapshot.doc.data, defaultBranchFiles: files } },
    };
  };
  const plain = withFiles({ codeowners: null, cdkJsonAtRoot: false });

  it.each([
    'src/authentication/session-store.ts',
    'src/oauth/callback.ts',
    'src/crypto.ts',
    'config/secrets/prod.env',
    'api/Credentials.java',
    'src/LoginForm.tsx',
  ])('takes %s as security-sensitive under both profiles', (path) => {
    const evidence = prEvidence({ files: changes(path) }, { branchProtection: [plain] });
    for (const profile of [CLERK, CLICKI]) {
      expect(only(judge('SECURITY-REVIEW', evidence, { profile }), 101).verdict).toBe('fail');
    }
  });

  it.each([
    'envs/prod.tfvars',
    'terragrunt.hcl',
    'charts/api/values.yaml',
    'deploy/kustomization.yaml',
    '.github/workflows/deploy.yml',
    'template.yaml',
  ])('takes %s as infrastructure under both profiles', (path) => {
    const evidence = prEvidence({ files: changes(path) }, { branchProtection: [plain] });
    for (const profile of [CLERK, CLICKI]) {
      expect(only(judge('IAC-SIGNOFF', evidence, { profile }), 101).verdict).toBe('fail');
    }
  });

  it('does not take lib/utils/strings.ts in a repository without cdk.json, nor a nested template.yaml', () => {
    for (const path of ['lib/utils/strings.ts', 'src/emails/template.yaml']) {
      const evidence = prEvidence({ files: changes(path) }, { branchProtection: [plain] });
      expect(only(judge('IAC-SIGNOFF', evidence), 101).verdict).toBe('not_applicable');
    }
  });

  it('follows CODEOWNERS on the default branch, last match wins', () => {
    const codeowners = {
      path: '.github/CODEOWNERS',
      text: '* @acme/developers\n/src/billing/ @acme/security-champs\n/src/billing/readme.md @acme/docs\n*.sql @acme/sre\n',
    };
    const snapshot = withFiles({ codeowners, cdkJsonAtRoot: false });
    const billing = prEvidence({ files: changes('src/billing/ledger.ts') }, { branchProtection: [snapshot] });
    const security = only(judge('SECURITY-REVIEW', billing), 101);
    expect(security.verdict).toBe('fail');
    expect(security.reasons[0]).toContain(
      '.github/CODEOWNERS assigns src/billing/ledger.ts to team security-champs',
    );
    const readme = prEvidence({ files: changes('src/billing/readme.md') }, { branchProtection: [snapshot] });
    expect(only(judge('SECURITY-REVIEW', readme), 101).verdict).toBe('not_applicable');
    const sql = prEvidence({ files: changes('db/migrations/001.sql') }, { branchProtection: [snapshot] });
    expect(only(judge('IAC-SIGNOFF', sql), 101).verdict).toBe('fail');
  });
});

describe('emergency changes (Clicki may bypass approval)', () => {
  const emergencyPr = (overrides: Parameters<typeof pullRequest>[2] = {}) =>
    prEvidence({
      reviews: [],
      labels: ['emergency-change'],
      labelEvents: [{ name: 'emergency-change', action: 'added', actor: 'erin', at: at(-60) }],
      comments: [
        { author: 'erin', createdAt: at(60), body: 'Retrospective: done', url: null },
        { author: 'erin', createdAt: at(600), body: 'Post-mortem: https://wiki.acme.test/pm/1', url: null },
      ],
      ...overrides,
    });

  it('makes PEER-REVIEW and SEGREGATION not applicable to a by-the-book emergency under Clicki only', () => {
    const evidence = emergencyPr();
    expect(only(judge('EMERGENCY', evidence, { profile: CLICKI }), 101).verdict).toBe('pass');
    for (const control of ['PEER-REVIEW', 'SEGREGATION'] as const) {
      expect(only(judge(control, evidence, { profile: CLICKI }), 101).verdict).toBe('not_applicable');
      expect(only(judge(control, evidence, { profile: CLERK }), 101).verdict).toBe('fail');
    }
  });

  it('counts a post-mortem link in the body only if the body was last edited within 120 h', () => {
    const retro = [{ author: 'erin', createdAt: at(60), body: 'Retrospective: done', url: null }];
    const body = 'Outage fix.\n\nPost-mortem: https://wiki.acme.test/pm/2';
    const late = emergencyPr({ comments: retro, body, bodyEditedAt: at(121 * 60) });
    const result = only(judge('EMERGENCY', late), 101);
    expect(result.verdict).toBe('fail');
    expect(result.reasons.join()).toContain('last edited at');
    // …and then the emergency is no bypass under Clicki either.
    expect(only(judge('PEER-REVIEW', late, { profile: CLICKI }), 101).verdict).toBe('fail');
    const inTime = emergencyPr({ comments: retro, body, bodyEditedAt: at(100 * 60) });
    expect(only(judge('EMERGENCY', inTime), 101).verdict).toBe('pass');
  });
});
