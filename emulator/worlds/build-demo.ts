/**
 * The bundled demo organisation `acme`: a `github-world/1` world in which every CM-01 control of
 * both shipped profiles passes for some changes and fails for others, each case named in its PR
 * title and body so that a reader of the evidence pack sees what it shows.
 *
 * Regenerate the committed JSON with `npx tsx emulator/worlds/build-demo.ts`; the build is
 * deterministic (SHAs come from a hash of `DEMO_SEED` and a label), so regenerating an unchanged
 * builder leaves the file byte-identical. docs/demo-organisation.md lists every scenario and the
 * verdicts it should get.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type CheckSpec,
  type CommitSpec,
  DeterministicIds,
  type PullRequestSpec,
  plusMinutes,
  RepoHistory,
  serializeWorld,
  shaOf,
  worldDocument,
} from './history-builder.ts';
import type {
  WorldAuditEventDoc,
  WorldDocument,
  WorldFileDoc,
  WorldPullRequestDoc,
  WorldUserDoc,
} from './world-document.ts';

export const DEMO_SEED = 'acme-demo-world/1';
export const DEMO_ORG = 'acme';
export const DEMO_NOW = '2026-11-01T06:00:00Z';
export const DEMO_WORLD_FILE = fileURLToPath(new URL('./demo.world.json', import.meta.url));

/** The merge commit SHA of a demo PR, e.g. `demoMergeSha('payments-api', 110)`. */
export function demoMergeSha(repo: string, pr: number): string {
  return shaOf(DEMO_SEED, `${repo}#${pr}/merge`);
}

/** The SHA of commit `index` (from 0) of a demo PR's own branch. */
export function demoBranchCommitSha(repo: string, pr: number, index: number): string {
  return shaOf(DEMO_SEED, `${repo}#${pr}/commit/${index}`);
}

/** The SHA of a demo direct push, by its label (see `DEMO_PUSHES`). */
export function demoPushSha(repo: string, label: string): string {
  return shaOf(DEMO_SEED, `${repo}/push/${label}`);
}

export const DEMO_PUSHES = {
  /** web-app: a typo fix pushed straight to main by grace; no override covers it. */
  footerTypo: { repo: 'web-app', label: 'footer-typo' },
  /** infra: frank bypasses protection and the ruleset without a justification. */
  natGateways: { repo: 'infra', label: 'nat-gateways' },
  /** web-app: made on 29 September, pushed straight to main on 2 October (real-organisation block). */
  latePush: { repo: 'web-app', label: 'late-push' },
  /** infra: frank bypasses protection; his commit's Approved-by trailer names heidi, who left no trace. */
  selfApprovedTrailer: { repo: 'infra', label: 'self-approved-trailer' },
} as const;

const BOT = 'deploy-bot';

const USERS: WorldUserDoc[] = [
  { login: 'alice', name: 'Alice Ng', type: 'User' },
  { login: 'bob', name: 'Bob Okafor', type: 'User' },
  { login: 'carol', name: 'Carol Díaz', type: 'User' },
  { login: 'dave', name: 'Dave Kim (SRE Lead)', type: 'User' },
  { login: 'erin', name: 'Erin Walsh', type: 'User' },
  { login: 'frank', name: 'Frank Ito', type: 'User' },
  { login: 'grace', name: 'Grace Park', type: 'User' },
  { login: 'heidi', name: 'Heidi Novak (Head of Product)', type: 'User' },
  { login: 'ivan', name: 'Ivan Petrov', type: 'User' },
  { login: 'judy', name: 'Judy Chen', type: 'User' },
  { login: BOT, name: 'Acme deploy bot', type: 'Bot' },
  { login: 'web-flow', name: 'GitHub', type: 'User' },
  // Real-organisation scenarios: an app account that approves pull requests.
  { login: 'review-bot', name: 'Acme review bot', type: 'Bot' },
];

const TEAMS: Record<string, string[]> = {
  'security-champs': ['carol', 'judy'],
  sre: ['dave', 'ivan'],
  'incident-commanders': ['erin', 'dave'],
  'override-approvers': ['heidi', 'dave'],
};

/** `'10-05 10:00'` -> `2026-10-05T10:00:00Z` (all demo times are UTC in 2026). */
function t(monthDayTime: string): string {
  const [date, time] = monthDayTime.split(' ');
  return `2026-${date}T${time}:00Z`;
}

interface CiCheck {
  readonly name: string;
  readonly kind?: 'check_run' | 'status';
  readonly app?: string;
}

interface CheckTweak {
  readonly conclusion?: string;
  /** Minutes after the head commit; may fall after the merge (a late check). */
  readonly completesAfterMinutes?: number;
  readonly absent?: boolean;
}

/** The repository's CI on a head commit: every check green within 20 minutes unless tweaked. */
function ci(
  checks: readonly CiCheck[],
  headAt: string,
  tweaks: Readonly<Record<string, CheckTweak>> = {},
): CheckSpec[] {
  return checks.flatMap((check, i): CheckSpec[] => {
    const tweak = tweaks[check.name] ?? {};
    if (tweak.absent) return [];
    return [
      {
        name: check.name,
        ...(check.kind ? { kind: check.kind } : {}),
        ...(check.app ? { app: check.app } : {}),
        conclusion: tweak.conclusion ?? 'SUCCESS',
        startedAt: plusMinutes(headAt, 2),
        completedAt: plusMinutes(headAt, tweak.completesAfterMinutes ?? 8 + 2 * i),
      },
    ];
  });
}

interface ChangeRecord {
  readonly description: string;
  readonly systems: string;
  readonly risk: string;
  readonly rollback: string;
}

/** A PR body with the change-record sections, as Markdown headings or as bold labels. */
function changeRecord(record: ChangeRecord, style: 'headings' | 'bold' = 'headings', extra = ''): string {
  const sections: [string, string][] = [
    ['Description', record.description],
    ['Systems affected', record.systems],
    ['Risk', record.risk],
    ['Rollback', record.rollback],
  ];
  const text =
    style === 'headings'
      ? sections.map(([title, value]) => `## ${title}\n${value}`).join('\n\n')
      : sections.map(([title, value]) => `**${title}:** ${value}`).join('\n');
  return extra ? `${text}\n\n${extra}` : text;
}

function file(path: string, additions: number, deletions = 0): WorldFileDoc {
  return { path, additions, deletions, changeType: deletions === 0 && additions > 0 ? 'ADDED' : 'MODIFIED' };
}

function modified(path: string, additions: number, deletions: number): WorldFileDoc {
  return { path, additions, deletions, changeType: 'MODIFIED' };
}

/** `count` signed commits by the author, `every` minutes apart, the last at `lastAt`. */
function commitsEndingAt(
  lastAt: string,
  count: number,
  every = 25,
  message?: (i: number) => string,
): CommitSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    at: plusMinutes(lastAt, -(count - 1 - i) * every),
    ...(message ? { message: message(i) } : {}),
  }));
}

interface DemoPr extends Omit<PullRequestSpec, 'commits' | 'checks' | 'merge'> {
  readonly commits?: readonly CommitSpec[];
  readonly checks?: readonly CheckSpec[];
  readonly checkTweaks?: Readonly<Record<string, CheckTweak>>;
  /** Absent for a PR that is still open or was closed unmerged. */
  readonly mergedAt?: string;
  readonly mergedBy?: string;
  readonly method?: 'squash' | 'merge';
  readonly mergeSigned?: boolean;
  readonly mergeMessageExtra?: string;
}

class DemoRepo {
  readonly history: RepoHistory;
  constructor(
    ids: DeterministicIds,
    config: ConstructorParameters<typeof RepoHistory>[2],
    private readonly ciChecks: readonly CiCheck[],
  ) {
    this.history = new RepoHistory(ids, DEMO_ORG, config);
  }

  /** A PR whose two commits end 40 minutes after it opened, green CI unless tweaked. */
  pr(spec: DemoPr): WorldPullRequestDoc {
    const commits = spec.commits ?? commitsEndingAt(plusMinutes(spec.createdAt, 5), 2);
    const headAt = commits.at(-1)!.at;
    const checks = spec.checks ?? ci(this.ciChecks, headAt, spec.checkTweaks);
    return this.history.pullRequest({
      ...spec,
      commits,
      checks,
      ...(spec.mergedAt
        ? {
            merge: {
              at: spec.mergedAt,
              by: spec.mergedBy ?? spec.author,
              method: spec.method ?? 'squash',
              ...(spec.mergeSigned === false ? { signed: false } : {}),
              ...(spec.mergeMessageExtra ? { extraMessage: spec.mergeMessageExtra } : {}),
            },
          }
        : {}),
    });
  }

  /** Deploy a merged PR through the pipeline, 5 minutes after the merge. */
  ship(
    pr: WorldPullRequestDoc,
    options: {
      readonly skipCanary?: boolean;
      readonly productionOutcome?: 'success' | 'failure';
      readonly productionByHand?: string;
    } = {},
  ) {
    return this.history.pipeline({
      sha: pr.mergeCommit!,
      at: plusMinutes(pr.mergedAt!, 5),
      triggeredBy: pr.mergedBy!,
      bot: BOT,
      ...options,
    });
  }
}

const PAYMENTS_CI: CiCheck[] = [
  { name: 'unit' },
  { name: 'integration' },
  { name: 'sca', kind: 'status', app: 'snyk' },
  { name: 'sast' },
  { name: 'lint' },
];
const INFRA_CI: CiCheck[] = [
  { name: 'unit' },
  { name: 'e2e' },
  { name: 'dependency-review' },
  { name: 'semgrep' },
  { name: 'cdk-synth' },
];
const WEB_CI: CiCheck[] = [
  { name: 'unit-tests' },
  { name: 'e2e' },
  { name: 'npm-audit' },
  { name: 'codeql' },
  { name: 'lint' },
];

/** A reviewer's approval of the newest commit at `at`. */
function approval(author: string, at: string) {
  return { author, state: 'APPROVED' as const, at };
}

const ROUTINE: ChangeRecord = {
  description: 'See title; covered by unit and integration tests.',
  systems: 'The service named in the title only.',
  risk: 'Low: behind existing tests, no data migration.',
  rollback: 'Revert the PR; the pipeline redeploys the previous build.',
};

export function buildDemoWorld(): WorldDocument {
  const ids = new DeterministicIds(DEMO_SEED);
  const auditLog: WorldAuditEventDoc[] = [];

  // ── payments-api: a service; classic protection requires the four CI categories and signed commits.
  const payments = new DemoRepo(
    ids,
    {
      name: 'payments-api',
      protection: {
        requiredStatusChecks: ['unit', 'integration', 'sca', 'sast'],
        requiredApprovingReviewCount: 0,
        requireSignedCommits: true,
        enforceAdmins: false,
      },
      rulesets: [
        {
          id: 7,
          name: 'protect-main',
          enforcement: 'active',
          target: '~DEFAULT_BRANCH',
          rules: ['pull_request', 'required_signatures', 'required_status_checks'],
          bypassActors: [{ login: 'dave', mode: 'always' }],
        },
      ],
    },
    PAYMENTS_CI,
  );
  const p = payments.history;
  p.initialCommit(t('08-03 09:00'), 'alice');

  // September history: outside the October window, so the window visibly matters.
  payments.ship(
    payments.pr({
      number: 101,
      title: 'ENG-180 Add refunds endpoint',
      body: changeRecord({ ...ROUTINE, description: 'New POST /refunds endpoint (September history).' }),
      author: 'alice',
      headRef: 'alice/ENG-180-refunds',
      createdAt: t('09-08 10:00'),
      files: [file('src/refunds/endpoint.ts', 140), file('test/refunds/endpoint.test.ts', 90)],
      reviews: [approval('bob', t('09-08 12:00'))],
      mergedAt: t('09-08 14:00'),
    }),
  );
  payments.ship(
    payments.pr({
      number: 102,
      title: 'ENG-184 Partial refunds',
      body: changeRecord({ ...ROUTINE, description: 'Partial refunds (September history).' }),
      author: 'bob',
      headRef: 'bob/ENG-184-partial-refunds',
      createdAt: t('09-22 08:30'),
      files: [modified('src/refunds/endpoint.ts', 60, 12)],
      reviews: [approval('alice', t('09-22 10:00'))],
      mergedAt: t('09-22 11:00'),
    }),
  );
  // Opened in September, merged after #104 on 2 October: judged in October (merge date decides).
  const pr103Spec: DemoPr = {
    number: 103,
    title: 'ENG-188 Store refund audit trail (opened in September, merged in October)',
    body: changeRecord({
      ...ROUTINE,
      description: 'Refund audit trail. Opened 28 September, merged 2 October.',
    }),
    author: 'alice',
    headRef: 'alice/ENG-188-refund-audit',
    createdAt: t('09-28 10:00'),
    files: [file('src/refunds/audit-trail.ts', 75)],
    reviews: [approval('bob', t('10-02 09:00'))],
    mergedAt: t('10-02 10:00'),
  };
  // Merged ten minutes before the window opens and deployed before it: not in October's population.
  payments.ship(
    payments.pr({
      number: 104,
      title: 'ENG-190 Month-end settlement report (merged just before October)',
      body: changeRecord({ ...ROUTINE, description: 'Settlement report, merged 30 September 23:20 UTC.' }),
      author: 'bob',
      headRef: 'bob/ENG-190-settlement-report',
      createdAt: t('09-30 21:00'),
      files: [file('src/settlement/report.ts', 88)],
      reviews: [approval('alice', t('09-30 22:30'))],
      mergedAt: t('09-30 23:20'),
    }),
  );
  payments.ship(payments.pr(pr103Spec));

  payments.ship(
    payments.pr({
      number: 110,
      title: 'ENG-201 Idempotency keys for refunds (fully compliant)',
      body: changeRecord({
        description:
          'Refund requests carry an Idempotency-Key; a retried request returns the first result. ' +
          'The reference for a fully compliant change: ticket, CI green before merge, approved by a peer on the head, ' +
          'signed, change record, deployed staging, canary, production by the pipeline.',
        systems: 'payments-api refunds endpoint; refunds table (new unique index).',
        risk: 'Medium: touches money movement; covered by new integration tests.',
        rollback: 'Revert the PR; the index is additive and can stay.',
      }),
      author: 'alice',
      headRef: 'alice/ENG-201-idempotency',
      createdAt: t('10-05 08:00'),
      files: [
        file('src/refunds/idempotency.ts', 120),
        modified('src/refunds/endpoint.ts', 14, 3),
        file('test/refunds/idempotency.test.ts', 95),
      ],
      reviews: [approval('bob', t('10-05 09:30'))],
      mergedAt: t('10-05 10:00'),
    }),
  );

  payments.ship(
    payments.pr({
      number: 111,
      title: 'ENG-205 Tidy currency formatting helpers (self-merged, no review)',
      body: changeRecord({
        ...ROUTINE,
        description:
          'Small refactor merged by its author without any review: peer review is optional under Clerk v1.1, required by Clicki.',
      }),
      author: 'alice',
      headRef: 'alice/ENG-205-currency-helpers',
      createdAt: t('10-06 13:00'),
      files: [modified('src/format/currency.ts', 22, 30)],
      mergedAt: t('10-06 15:00'),
    }),
  );

  payments.ship(
    payments.pr({
      number: 112,
      title: 'ENG-210 Retry webhooks with backoff (code pushed after approval)',
      body: changeRecord({
        ...ROUTINE,
        description:
          'Bob approved the second commit; Alice pushed a third commit afterwards and merged without a new approval.',
      }),
      author: 'alice',
      headRef: 'alice/ENG-210-webhook-retry',
      createdAt: t('10-07 08:45'),
      commits: [
        { at: t('10-07 09:00') },
        { at: t('10-07 09:30') },
        { at: t('10-07 10:20'), message: 'Raise max backoff to 10 minutes' },
      ],
      files: [file('src/webhooks/retry.ts', 70), file('test/webhooks/retry.test.ts', 40)],
      reviews: [approval('bob', t('10-07 10:00'))],
      mergedAt: t('10-07 11:00'),
    }),
  );

  payments.ship(
    payments.pr({
      number: 113,
      title: 'ENG-214 Rotate JWT signing keys (auth change, Security Champ approved)',
      body: changeRecord({
        ...ROUTINE,
        description:
          'Adds key rotation to the JWT signer. Touches src/auth/, so a Security Champ (carol) reviewed it.',
        risk: 'High: authentication. Reviewed by a Security Champ.',
      }),
      author: 'bob',
      headRef: 'bob/ENG-214-jwt-rotation',
      createdAt: t('10-08 07:30'),
      files: [modified('src/auth/jwt.ts', 48, 12), file('src/auth/key-rotation.ts', 90)],
      reviews: [approval('carol', t('10-08 09:20'))],
      mergedAt: t('10-08 10:00'),
    }),
  );

  payments.ship(
    payments.pr({
      number: 114,
      title: 'ENG-215 Log PII access in the audit trail (PII change, no Security Champ review)',
      body: changeRecord({
        ...ROUTINE,
        description: 'Touches src/pii/ but was approved only by bob, who is not a Security Champ.',
      }),
      author: 'alice',
      headRef: 'alice/ENG-215-pii-access-log',
      createdAt: t('10-09 10:30'),
      files: [file('src/pii/access-log.ts', 64), modified('src/pii/customer.ts', 5, 1)],
      reviews: [approval('bob', t('10-09 12:30'))],
      mergedAt: t('10-09 13:00'),
    }),
  );

  payments.ship(
    payments.pr({
      number: 115,
      title: 'ENG-220 Harden rate limiter (labelled security, no Security Champ review)',
      body: changeRecord({
        ...ROUTINE,
        description:
          'No security-sensitive path, but labelled `security` by its author, so it needs a Security Champ; only bob approved.',
      }),
      author: 'alice',
      headRef: 'alice/ENG-220-rate-limiter',
      createdAt: t('10-12 08:00'),
      files: [modified('src/http/rate-limit.ts', 35, 10)],
      labels: [{ name: 'security', addedBy: 'alice', addedAt: t('10-12 08:01') }],
      reviews: [approval('bob', t('10-12 09:40'))],
      mergedAt: t('10-12 10:00'),
    }),
  );

  payments.ship(
    payments.pr({
      number: 116,
      title: 'ENG-223 Ledger CSV export (two unsigned commits)',
      body: changeRecord({
        ...ROUTINE,
        description:
          'The last two commits were made on a laptop without a signing key: they carry no signature.',
      }),
      author: 'bob',
      headRef: 'bob/ENG-223-ledger-export',
      createdAt: t('10-13 07:00'),
      commits: [
        { at: t('10-13 07:10') },
        { at: t('10-13 08:00'), signed: false, message: 'Add CSV writer' },
        { at: t('10-13 08:40'), signed: false, message: 'Stream large exports' },
      ],
      files: [file('src/ledger/export.ts', 150), file('test/ledger/export.test.ts', 60)],
      reviews: [approval('alice', t('10-13 09:30'))],
      mergedAt: t('10-13 10:00'),
    }),
  );

  payments.ship(
    payments.pr({
      number: 117,
      title: 'ENG-225 Update settlement cutoff (unsigned merge commit)',
      body: changeRecord({
        ...ROUTINE,
        description:
          'Merged from the command line with a local `git merge --no-ff`: the merge commit on main is not signed.',
      }),
      author: 'bob',
      headRef: 'bob/ENG-225-settlement-cutoff',
      createdAt: t('10-14 07:30'),
      files: [modified('src/settlement/cutoff.ts', 8, 4)],
      reviews: [approval('alice', t('10-14 09:00'))],
      mergedAt: t('10-14 10:00'),
      method: 'merge',
      mergeSigned: false,
    }),
  );

  payments.ship(
    payments.pr({
      number: 118,
      title: 'ENG-230 Bump HTTP client (required sast check never reported)',
      body: changeRecord({
        ...ROUTINE,
        description:
          'The required `sast` check never ran on the head commit (its workflow was filtered out); merged anyway.',
      }),
      author: 'alice',
      headRef: 'alice/ENG-230-http-client',
      createdAt: t('10-15 08:00'),
      files: [modified('package.json', 1, 1), modified('package-lock.json', 40, 38)],
      checkTweaks: { sast: { absent: true } },
      reviews: [approval('bob', t('10-15 09:00'))],
      mergedAt: t('10-15 10:00'),
    }),
  );

  // Emergency done right: labelled by the on-call Incident Commander, retrospective within 24 h,
  // post-mortem exactly four days after the merge (inside the five-day limit).
  payments.ship(
    payments.pr({
      number: 119,
      title: 'ENG-240 Hotfix: double charge on retried captures (emergency, documented in time)',
      body: changeRecord({
        description:
          'Emergency fix for customers charged twice when a capture was retried (incident INC-31).',
        systems: 'payments-api captures.',
        risk: 'High impact if wrong; minimal diff, tested against the incident replay.',
        rollback: 'Revert; the pipeline redeploys the previous build.',
      }),
      author: 'alice',
      headRef: 'alice/ENG-240-double-charge',
      createdAt: t('10-16 02:20'),
      commits: [{ at: t('10-16 02:15') }, { at: t('10-16 02:35') }],
      files: [modified('src/captures/retry.ts', 12, 5), modified('test/captures/retry.test.ts', 30, 0)],
      // ivan is not in the GitHub team: the label is valid because he was the Incident
      // Commander on call in Better Stack at the time (see withDemoServices).
      labels: [{ name: 'emergency-change', addedBy: 'ivan', addedAt: t('10-16 02:25') }],
      reviews: [approval('bob', t('10-16 03:00'))],
      comments: [
        {
          author: 'erin',
          createdAt: t('10-16 09:00'),
          body: 'Retrospective: change logged in the incident timeline of INC-31; customers refunded.',
        },
        {
          author: 'erin',
          createdAt: t('10-20 03:10'),
          body: 'Post-mortem: https://acme.notion.site/post-mortem-inc-31-double-charge (held four days after the merge).',
        },
      ],
      mergedAt: t('10-16 03:10'),
    }),
  );

  // An override done right: the SRE Lead merged before the required `integration` check finished,
  // with the justification and risk in the squash commit, and treated it as an emergency.
  const beforeOverride = p.head;
  const pr120 = payments.pr({
    number: 120,
    title: 'ENG-244 Hotfix: disable 3-D Secure retry loop (override by the SRE Lead, justified)',
    body: changeRecord({
      description:
        'Customers were stuck in a 3-D Secure challenge loop; dave merged before `integration` finished.',
      systems: 'payments-api checkout (3-D Secure).',
      risk: 'Low: disables a retry; one challenge still runs.',
      rollback: 'Revert the commit.',
    }),
    author: 'ivan',
    headRef: 'ivan/ENG-244-3ds-loop',
    createdAt: t('10-19 21:50'),
    commits: [{ at: t('10-19 21:40') }, { at: t('10-19 22:05') }],
    checkTweaks: { integration: { completesAfterMinutes: 53 } },
    files: [modified('src/threeds/challenge.ts', 6, 18)],
    labels: [{ name: 'emergency-change', addedBy: 'dave', addedAt: t('10-19 21:55') }],
    reviews: [approval('dave', t('10-19 22:30'))],
    comments: [
      {
        author: 'erin',
        createdAt: t('10-20 09:30'),
        body: 'Retrospective recorded for the 3-D Secure incident (INC-32).',
      },
      {
        author: 'dave',
        createdAt: t('10-22 15:00'),
        body: 'Post-mortem: https://acme.notion.site/post-mortem-inc-32-3ds-loop',
      },
    ],
    mergedAt: t('10-19 22:40'),
    mergedBy: 'dave',
    mergeMessageExtra:
      'Justification: customers cannot complete checkout (INC-32); integration tests take 50 minutes.\n' +
      'Risk: low; the change only removes a retry and unit, sca and sast checks passed.\n' +
      'Approved-by: dave',
  });
  p.bypassedMerge(pr120, beforeOverride);
  auditLog.push({
    action: 'protected_branch.policy_override',
    actor: 'dave',
    repo: 'acme/payments-api',
    branch: 'refs/heads/main',
    createdAt: pr120.mergedAt!,
    after: pr120.mergeCommit!,
    before: beforeOverride,
    reasons: [
      { code: 'required_status_checks', message: 'Required status check "integration" is expected.' },
    ],
  });
  payments.ship(pr120);

  payments.ship(
    payments.pr({
      number: 121,
      title: 'ENG-250 Tune database connection pool (production deployed by hand by its only reviewer)',
      body: changeRecord({
        ...ROUTINE,
        description:
          'Approved only by frank, who then created the production deployment himself instead of the pipeline.',
      }),
      author: 'alice',
      headRef: 'alice/ENG-250-db-pool',
      createdAt: t('10-21 07:30'),
      files: [modified('src/db/pool.ts', 4, 4)],
      reviews: [approval('frank', t('10-21 09:30'))],
      mergedAt: t('10-21 10:00'),
    }),
    { productionByHand: 'frank' },
  );

  const pr122 = payments.pr({
    number: 122,
    title: 'ENG-252 Refund reason codes',
    body: changeRecord({
      ...ROUTINE,
      description: 'Adds reason codes to refunds. The last good build before the rollback of #123.',
    }),
    author: 'bob',
    headRef: 'bob/ENG-252-reason-codes',
    createdAt: t('10-22 08:00'),
    files: [file('src/refunds/reasons.ts', 44), modified('src/refunds/endpoint.ts', 6, 2)],
    reviews: [approval('alice', t('10-22 10:15'))],
    mergedAt: t('10-22 11:00'),
  });
  payments.ship(pr122);

  const rolledBack = payments.ship(
    payments.pr({
      number: 123,
      title:
        'ENG-255 Switch to the new FX rate provider (production deploy failed, rolled back automatically)',
      body: changeRecord({
        ...ROUTINE,
        description:
          'The production deployment failed its health check; the pipeline redeployed #122 twelve minutes later.',
      }),
      author: 'bob',
      headRef: 'bob/ENG-255-fx-provider',
      createdAt: t('10-23 07:00'),
      files: [modified('src/fx/provider.ts', 80, 45)],
      reviews: [approval('alice', t('10-23 09:20'))],
      mergedAt: t('10-23 10:00'),
    }),
    { productionOutcome: 'failure' },
  );
  p.rollback({ toSha: pr122.mergeCommit!, at: plusMinutes(rolledBack.finishedAt, 12), bot: BOT });

  payments.ship(
    payments.pr({
      number: 124,
      title: 'ENG-260 Show currency on receipts (no change record)',
      body: 'Adds the currency to receipts.',
      author: 'alice',
      headRef: 'alice/ENG-260-receipt-currency',
      createdAt: t('10-26 08:00'),
      files: [modified('src/receipts/render.ts', 9, 2)],
      reviews: [approval('bob', t('10-26 09:00'))],
      mergedAt: t('10-26 10:00'),
    }),
  );

  payments.ship(
    payments.pr({
      number: 125,
      title: 'ENG-262 🚀 Faster receipt rendering ✨ (emoji in the title)',
      body: changeRecord({
        ...ROUTINE,
        description: 'Caches receipt templates. 🧾 The title carries emoji the PDF font lacks.',
      }),
      author: 'bob',
      headRef: 'bob/ENG-262-receipt-cache',
      createdAt: t('10-27 08:00'),
      files: [modified('src/receipts/render.ts', 30, 12), file('src/receipts/template-cache.ts', 40)],
      reviews: [approval('alice', t('10-27 09:00'))],
      mergedAt: t('10-27 10:00'),
    }),
  );

  // 150 checks on the head commit: the four required ones plus 146 shards and linters.
  const shardedHeadAt = t('10-28 08:05');
  const shardedChecks: CheckSpec[] = [
    ...ci(PAYMENTS_CI, shardedHeadAt),
    ...Array.from({ length: 100 }, (_, i) => ({
      name: `unit (shard ${i + 1}/100)`,
      startedAt: plusMinutes(shardedHeadAt, 2),
      completedAt: plusMinutes(shardedHeadAt, 10 + (i % 7)),
    })),
    ...Array.from({ length: 40 }, (_, i) => ({
      name: `integration (shard ${i + 1}/40)`,
      startedAt: plusMinutes(shardedHeadAt, 3),
      completedAt: plusMinutes(shardedHeadAt, 20 + (i % 9)),
    })),
    ...['typecheck', 'format', 'licence-check', 'docs-build', 'bundle-size'].map((name) => ({
      name,
      startedAt: plusMinutes(shardedHeadAt, 2),
      completedAt: plusMinutes(shardedHeadAt, 6),
    })),
  ];
  payments.ship(
    payments.pr({
      number: 126,
      title: 'ENG-270 Split the test suite into 140 shards (150 checks on the head commit)',
      body: changeRecord({
        ...ROUTINE,
        description: 'CI runs 150 checks on this PR; all must be collected.',
      }),
      author: 'bob',
      headRef: 'bob/ENG-270-test-shards',
      createdAt: t('10-28 07:30'),
      commits: [{ at: t('10-28 07:40') }, { at: shardedHeadAt }],
      checks: shardedChecks,
      files: [modified('.github/workflows/ci.yml', 60, 12)],
      reviews: [approval('alice', t('10-28 09:00'))],
      mergedAt: t('10-28 10:00'),
    }),
  );

  // ── infra: the CDK repository (lib/**/*.ts is infrastructure as code) plus some Terraform.
  const infra = new DemoRepo(
    ids,
    {
      name: 'infra',
      // A CDK app: the root cdk.json makes lib/**/*.ts infrastructure as code.
      files: { 'cdk.json': '{ "app": "npx tsx bin/infra.ts" }\n' },
      protection: {
        requiredStatusChecks: ['unit', 'e2e', 'dependency-review', 'semgrep'],
        requiredApprovingReviewCount: 1,
        requireSignedCommits: true,
        enforceAdmins: false,
      },
      rulesets: [
        {
          id: 11,
          name: 'infra-main',
          enforcement: 'active',
          target: '~DEFAULT_BRANCH',
          rules: ['pull_request', 'required_signatures', 'non_fast_forward'],
          bypassActors: [
            { login: 'dave', mode: 'always' },
            { login: 'frank', mode: 'always' },
          ],
        },
      ],
    },
    INFRA_CI,
  );
  const inf = infra.history;
  inf.initialCommit(t('08-03 09:30'), 'ivan');
  infra.pr({
    number: 40,
    title: 'OPS-90 Evidence bucket retention (September history)',
    body: changeRecord({ ...ROUTINE, systems: 'AWS account prod: S3.' }),
    author: 'ivan',
    headRef: 'ivan/OPS-90-retention',
    createdAt: t('09-15 08:00'),
    files: [modified('lib/stacks/storage-stack.ts', 20, 4)],
    reviews: [approval('dave', t('09-15 09:30'))],
    mergedAt: t('09-15 10:00'),
  });
  infra.pr({
    number: 41,
    title: 'OPS-101 Add a WAF to the public load balancer (IaC, SRE signed off)',
    body: changeRecord({
      ...ROUTINE,
      description: 'CDK change under lib/: signed off by ivan (SRE).',
      systems: 'AWS account prod: ALB, WAF.',
    }),
    author: 'frank',
    headRef: 'frank/OPS-101-waf',
    createdAt: t('10-06 11:00'),
    files: [
      file('lib/constructs/edge-waf.ts', 110),
      modified('lib/stacks/edge-stack.ts', 12, 2),
      file('test/edge-waf.test.ts', 50),
    ],
    reviews: [approval('ivan', t('10-06 13:30'))],
    mergedAt: t('10-06 14:00'),
  });
  infra.pr({
    number: 42,
    title: 'OPS-104 Raise exporter Lambda memory (IaC, no SRE sign-off)',
    body: changeRecord({
      ...ROUTINE,
      description: 'CDK change under lib/ approved only by bob, who is not in the SRE team.',
      systems: 'AWS account prod: exporter Lambda.',
    }),
    author: 'frank',
    headRef: 'frank/OPS-104-exporter-memory',
    createdAt: t('10-08 12:00'),
    files: [modified('lib/constructs/exporter.ts', 2, 2)],
    reviews: [approval('bob', t('10-08 14:30'))],
    mergedAt: t('10-08 15:00'),
  });
  infra.pr({
    number: 43,
    title: 'OPS-110 Terraform: DNS records for the status page (IaC, no SRE sign-off)',
    body: changeRecord({
      ...ROUTINE,
      description: 'Terraform change approved only by frank, who is not in the SRE team.',
      systems: 'Route 53 zone acme.example.',
    }),
    author: 'ivan',
    headRef: 'ivan/OPS-110-status-dns',
    createdAt: t('10-13 13:00'),
    files: [file('terraform/dns/status-page.tf', 30)],
    reviews: [approval('frank', t('10-13 15:30'))],
    mergedAt: t('10-13 16:00'),
  });
  infra.pr({
    number: 44,
    title: 'OPS-115 Update the on-call runbook (no infrastructure code)',
    body: changeRecord({
      ...ROUTINE,
      description: 'Documentation only: no IaC path changes.',
      systems: 'None (docs).',
    }),
    author: 'ivan',
    headRef: 'ivan/OPS-115-runbook',
    createdAt: t('10-15 08:30'),
    files: [modified('docs/runbook.md', 40, 10)],
    reviews: [approval('dave', t('10-15 10:30'))],
    mergedAt: t('10-15 11:00'),
  });
  // A direct push that bypasses both classic protection (audit log) and the ruleset (rule suite) by
  // someone who is not an override approver, with no justification in the commit.
  const beforeNat = inf.head;
  const natSha = inf.push({
    label: DEMO_PUSHES.natGateways.label,
    at: t('10-20 18:30'),
    author: 'frank',
    message: 'Raise NAT gateway count to 3\n\nQuick fix during the egress incident.',
    signed: true,
    activityType: 'push',
    ruleSuite: 'bypass',
  });
  auditLog.push({
    action: 'protected_branch.policy_override',
    actor: 'frank',
    repo: 'acme/infra',
    branch: 'refs/heads/main',
    createdAt: t('10-20 18:30'),
    after: natSha,
    before: beforeNat,
    reasons: [{ code: 'pull_request_required', message: 'Changes must be made through a pull request.' }],
  });
  infra.pr({
    number: 45,
    title: 'Bump aws-cdk-lib to the latest minor (no ticket)',
    body: changeRecord({ ...ROUTINE, description: 'Dependency bump; nobody linked a ticket.' }),
    author: 'frank',
    headRef: 'frank/bump-cdk-lib',
    createdAt: t('10-27 07:00'),
    files: [modified('package.json', 1, 1), modified('package-lock.json', 120, 118)],
    reviews: [approval('ivan', t('10-27 08:30'))],
    mergedAt: t('10-27 09:00'),
  });

  // ── web-app: no branch protection and no rulesets; deploys through the same pipeline.
  const web = new DemoRepo(ids, { name: 'web-app', protection: null, rulesets: [] }, WEB_CI);
  const w = web.history;
  w.initialCommit(t('08-03 10:00'), 'grace');
  web.ship(
    web.pr({
      number: 300,
      title: 'WEB-70 New checkout page (September history)',
      body: changeRecord(ROUTINE),
      author: 'grace',
      headRef: 'grace/WEB-70-checkout',
      createdAt: t('09-10 08:00'),
      files: [file('src/pages/checkout.tsx', 210)],
      reviews: [approval('bob', t('09-10 10:00'))],
      mergedAt: t('09-10 11:00'),
    }),
  );
  web.ship(
    web.pr({
      number: 301,
      title: 'WEB-74 Dark mode (September history)',
      body: changeRecord(ROUTINE),
      author: 'bob',
      headRef: 'bob/WEB-74-dark-mode',
      createdAt: t('09-24 08:00'),
      files: [modified('src/styles/theme.css', 80, 10)],
      reviews: [approval('grace', t('09-24 10:00'))],
      mergedAt: t('09-24 11:00'),
    }),
  );
  web.pr({
    number: 309,
    title: 'WEB-80 Experiment: new font stack (closed without merging)',
    body: 'Abandoned experiment.',
    author: 'bob',
    headRef: 'bob/WEB-80-fonts',
    createdAt: t('10-01 09:00'),
    files: [modified('src/styles/fonts.css', 10, 4)],
    closedAt: t('10-02 12:00'),
  });
  addLatePushScenario(web);
  web.ship(
    web.pr({
      number: 310,
      title: 'Improve checkout error messages (ticket only as a Linear link)',
      body: changeRecord(
        { ...ROUTINE, description: 'Clearer messages for declined cards.' },
        'bold',
        'Ticket: https://linear.app/acme/issue/WEB-88',
      ),
      author: 'grace',
      headRef: 'grace/checkout-errors',
      createdAt: t('10-05 13:00'),
      files: [modified('src/pages/checkout.tsx', 25, 9)],
      reviews: [approval('bob', t('10-05 15:30'))],
      mergedAt: t('10-05 16:00'),
    }),
  );
  web.ship(
    web.pr({
      number: 311,
      title: 'WEB-90 Upgrade the date picker (npm-audit failed, merged anyway)',
      body: changeRecord({
        ...ROUTINE,
        description: 'The `npm-audit` check reported a vulnerable transitive dependency; merged regardless.',
      }),
      author: 'bob',
      headRef: 'bob/WEB-90-date-picker',
      createdAt: t('10-06 08:00'),
      files: [modified('package.json', 1, 1), modified('package-lock.json', 60, 52)],
      checkTweaks: { 'npm-audit': { conclusion: 'FAILURE' } },
      reviews: [approval('grace', t('10-06 10:30'))],
      mergedAt: t('10-06 11:00'),
    }),
  );
  web.ship(
    web.pr({
      number: 312,
      title: 'WEB-91 Lazy-load product images (codeql finished after the merge)',
      body: changeRecord({
        ...ROUTINE,
        description: 'Merged while `codeql` was still running; it passed twenty minutes after the merge.',
      }),
      author: 'grace',
      headRef: 'grace/WEB-91-lazy-images',
      createdAt: t('10-07 14:00'),
      commits: [{ at: t('10-07 14:05') }, { at: t('10-07 14:20') }],
      checkTweaks: { codeql: { completesAfterMinutes: 60 } },
      reviews: [approval('bob', t('10-07 14:50'))],
      files: [modified('src/components/ProductImage.tsx', 18, 4)],
      mergedAt: t('10-07 15:00'),
    }),
  );
  web.ship(
    web.pr({
      number: 313,
      title: 'WEB-92 Rework the cart drawer (approval dismissed, merged without another)',
      body: changeRecord({
        ...ROUTINE,
        description:
          'Grace approved; bob dismissed her approval after a rebase and merged without a new one.',
      }),
      author: 'bob',
      headRef: 'bob/WEB-92-cart-drawer',
      createdAt: t('10-08 12:00'),
      files: [modified('src/components/CartDrawer.tsx', 90, 70)],
      reviews: [
        {
          author: 'grace',
          state: 'APPROVED',
          at: t('10-08 14:00'),
          dismissed: { at: t('10-08 15:30'), by: 'bob' },
        },
      ],
      mergedAt: t('10-08 16:00'),
    }),
  );
  web.ship(
    web.pr({
      number: 314,
      title: 'WEB-95 Update pricing page copy (standard change, self-merged)',
      body: changeRecord({
        ...ROUTINE,
        description:
          'Routine copy update under the pre-approved standard-change procedure; merged by its author without review.',
      }),
      author: 'grace',
      headRef: 'grace/WEB-95-pricing-copy',
      createdAt: t('10-09 09:00'),
      files: [modified('src/content/pricing.md', 12, 12)],
      labels: [{ name: 'standard-change', addedBy: 'grace', addedAt: t('10-09 09:01') }],
      mergedAt: t('10-09 11:00'),
    }),
  );
  web.ship(
    web.pr({
      number: 315,
      title: 'WEB-97 Hotfix: blank checkout on Safari (emergency label added by a non-Incident-Commander)',
      body: changeRecord({
        ...ROUTINE,
        description: 'grace added the emergency-change label herself; she is not an Incident Commander.',
      }),
      author: 'bob',
      headRef: 'bob/WEB-97-safari-checkout',
      createdAt: t('10-12 03:00'),
      commits: [{ at: t('10-12 03:05') }, { at: t('10-12 03:20') }],
      files: [modified('src/pages/checkout.tsx', 3, 1)],
      labels: [{ name: 'emergency-change', addedBy: 'grace', addedAt: t('10-12 03:02') }],
      reviews: [approval('grace', t('10-12 03:50'))],
      comments: [
        {
          author: 'bob',
          createdAt: t('10-12 10:00'),
          body: 'Retrospective: Safari 18 regression, logged in the incident channel.',
        },
        {
          author: 'bob',
          createdAt: t('10-14 12:00'),
          body: 'Post-mortem: https://acme.notion.site/post-mortem-safari-checkout',
        },
      ],
      mergedAt: t('10-12 04:00'),
    }),
  );
  web.ship(
    web.pr({
      number: 316,
      title: 'WEB-98 Hotfix: broken coupon field (emergency, no post-mortem)',
      body: changeRecord({
        ...ROUTINE,
        description:
          'Emergency labelled by erin; a retrospective was logged but no post-mortem link ever followed.',
      }),
      author: 'grace',
      headRef: 'grace/WEB-98-coupon-field',
      createdAt: t('10-14 01:40'),
      commits: [{ at: t('10-14 01:45') }, { at: t('10-14 01:55') }],
      files: [modified('src/components/CouponField.tsx', 6, 2)],
      labels: [{ name: 'emergency-change', addedBy: 'erin', addedAt: t('10-14 01:42') }],
      reviews: [approval('bob', t('10-14 02:20'))],
      comments: [
        {
          author: 'erin',
          createdAt: t('10-14 08:00'),
          body: 'Retrospective logged: coupon field regression.',
        },
        {
          author: 'erin',
          createdAt: t('10-16 09:00'),
          body: 'A post-mortem will follow once the team is back.',
        },
      ],
      mergedAt: t('10-14 02:30'),
    }),
  );
  // A direct push to main: no PR, no override (web-app has no protection), deployed by the pipeline.
  const typoSha = w.push({
    label: DEMO_PUSHES.footerTypo.label,
    at: t('10-15 17:20'),
    author: 'grace',
    message: 'Fix typo in footer copyright',
    signed: false,
  });
  w.pipeline({ sha: typoSha, at: t('10-15 17:25'), triggeredBy: 'grace', bot: BOT });
  web.ship(
    web.pr({
      number: 317,
      title: 'WEB-100 Faster search suggestions (production deploy skipped canary)',
      body: changeRecord({
        ...ROUTINE,
        description: 'The pipeline was run with canary disabled: staging, then straight to production.',
      }),
      author: 'bob',
      headRef: 'bob/WEB-100-search-suggest',
      createdAt: t('10-16 08:00'),
      files: [modified('src/components/SearchBox.tsx', 40, 22)],
      reviews: [approval('grace', t('10-16 10:30'))],
      mergedAt: t('10-16 11:00'),
    }),
    { skipCanary: true },
  );
  web.ship(
    web.pr({
      number: 318,
      title: 'WEB-103 New product recommendations (production deploy failed, not rolled back)',
      body: changeRecord({
        ...ROUTINE,
        description:
          'Production deploy failed; nothing was rolled back within the hour (fixed forward the next day).',
      }),
      author: 'grace',
      headRef: 'grace/WEB-103-recommendations',
      createdAt: t('10-19 11:00'),
      files: [file('src/components/Recommendations.tsx', 130)],
      reviews: [approval('bob', t('10-19 13:30'))],
      mergedAt: t('10-19 14:00'),
    }),
    { productionOutcome: 'failure' },
  );
  const longHeadAt = t('10-20 08:00');
  web.ship(
    web.pr({
      number: 319,
      title: 'WEB-105 Migrate components to the new design system (300 commits)',
      body: changeRecord({
        ...ROUTINE,
        description:
          'A long-running branch of 300 commits, merged with a merge commit; every commit must be collected.',
      }),
      author: 'bob',
      headRef: 'bob/WEB-105-design-system',
      createdAt: t('10-17 21:00'),
      commits: commitsEndingAt(
        longHeadAt,
        300,
        12,
        (i) => `Design system: migrate component ${i + 1} of 300`,
      ),
      files: [
        modified('src/styles/design-system.css', 300, 120),
        modified('src/components/Button.tsx', 40, 38),
      ],
      reviews: [approval('grace', t('10-20 09:00'))],
      mergedAt: t('10-20 10:00'),
      method: 'merge',
    }),
  );
  web.ship(
    web.pr({
      number: 320,
      title: 'WEB-108 Regenerate the API client (3,000 files)',
      body: changeRecord({
        ...ROUTINE,
        description: 'Generated code: 3,000 files changed; every file must be collected.',
      }),
      author: 'grace',
      headRef: 'grace/WEB-108-api-client',
      createdAt: t('10-22 08:00'),
      files: Array.from({ length: 3000 }, (_, i) =>
        file(`src/generated/api/model-${String(i + 1).padStart(4, '0')}.ts`, 20 + (i % 30), i % 5),
      ),
      reviews: [approval('bob', t('10-22 09:30'))],
      mergedAt: t('10-22 10:00'),
    }),
  );
  web.ship(
    web.pr({
      number: 321,
      title: 'WEB-112 Accessible focus rings (compliant)',
      body: changeRecord({ ...ROUTINE, description: 'Focus rings on every interactive element.' }),
      author: 'grace',
      headRef: 'grace/WEB-112-focus-rings',
      createdAt: t('10-29 08:00'),
      files: [modified('src/styles/focus.css', 30, 2)],
      reviews: [approval('bob', t('10-29 09:30'))],
      mergedAt: t('10-29 10:00'),
    }),
  );
  addRealOrganisationWebScenarios(web);
  // Merged after the period but before `now`: belongs to November's pack, not October's.
  web.pr({
    number: 322,
    title: 'WEB-115 Holiday banner (merged in November)',
    body: changeRecord(ROUTINE),
    author: 'bob',
    headRef: 'bob/WEB-115-holiday-banner',
    createdAt: t('10-31 16:00'),
    files: [file('src/components/HolidayBanner.tsx', 35)],
    reviews: [approval('grace', t('11-01 01:30'))],
    mergedAt: t('11-01 02:00'),
  });
  web.pr({
    number: 323,
    title: 'WEB-116 Wishlist sharing (still open)',
    body: changeRecord(ROUTINE),
    author: 'grace',
    headRef: 'grace/WEB-116-wishlist',
    createdAt: t('10-30 09:00'),
    files: [file('src/components/Wishlist.tsx', 60)],
  });

  addRealOrganisationScenarios(payments, infra, auditLog);

  return withDemoServices(
    worldDocument({
      org: DEMO_ORG,
      plan: 'enterprise',
      now: DEMO_NOW,
      users: USERS,
      teams: TEAMS,
      repos: [p, inf, w],
      auditLog,
    }),
  );
}

// ── Linear and Better Stack (issue 11): kept apart from the GitHub scenarios above ────────

/** The one ticket key a demo PR names that Linear does not know (TICKET-LINKED fails on it). */
export const DEMO_MISSING_TICKET = { repo: 'payments-api', pr: 122, key: 'ENG-252' } as const;

/** Better Stack incidents of October and the change each names as its cause (null: none). */
export const DEMO_INCIDENTS: readonly { id: string; causedBy: { repo: string; pr: number } | null }[] = [
  { id: '9031', causedBy: { repo: 'payments-api', pr: 112 } },
  { id: '9032', causedBy: null },
  { id: '9033', causedBy: null },
  { id: '9034', causedBy: { repo: 'payments-api', pr: 123 } },
  { id: '9035', causedBy: { repo: 'web-app', pr: 318 } },
];

/**
 * Linear knows every ticket the demo's PRs name but ENG-252; Better Stack holds October's
 * incidents (three caused by changes, named by PR URL, `org/repo#n` and merge SHA; two not)
 * and the Incident Commanders' rota. ivan, an SRE outside the GitHub `incident-commanders`
 * team, is on call from 15 to 19 October and grants the emergency label of payments-api#119.
 */
function withDemoServices(world: WorldDocument): WorldDocument {
  const keys = new Map<string, { title: string; createdAt: string; open: boolean }>();
  const keyPattern = /\b[A-Z][A-Z0-9]{1,9}-[0-9]+\b/g;
  for (const repo of world.repos) {
    for (const pr of repo.pullRequests) {
      const named = [
        ...pr.title.matchAll(keyPattern),
        ...pr.headRef.matchAll(keyPattern),
        // Linear's own branch names carry the key in lower case (alice/eng-238-…).
        ...pr.headRef.toUpperCase().matchAll(/(?<=\/)[A-Z][A-Z0-9]{1,9}-[0-9]+\b/g),
        ...pr.body.matchAll(/linear\.app\/[^/\s]+\/issue\/([A-Z][A-Z0-9]{1,9}-[0-9]+)/g),
      ].map((match) => match[1] ?? match[0]);
      for (const key of named) {
        if (keys.has(key)) continue;
        const title =
          pr.title
            .replace(keyPattern, '')
            .replace(/\(.*\)/g, '')
            .trim() || pr.title;
        keys.set(key, {
          title,
          createdAt: plusMinutes(pr.createdAt, -2 * 24 * 60),
          open: pr.mergedAt === null,
        });
      }
    }
  }
  keys.delete(DEMO_MISSING_TICKET.key);
  const merge = (repo: string, pr: number) => demoMergeSha(repo, pr);
  return {
    ...world,
    linear: {
      issues: [...keys.entries()]
        .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
        .map(([identifier, issue]) => ({
          identifier,
          title: issue.title,
          state: issue.open ? 'In Progress' : 'Done',
          createdAt: issue.createdAt,
          team: identifier.startsWith('ENG') ? 'Payments' : identifier.startsWith('OPS') ? 'Platform' : 'Web',
        })),
    },
    betterStack: {
      incidents: [
        {
          id: '9031',
          name: 'INC-31 Double charge on retried captures',
          startedAt: t('10-16 01:50'),
          resolvedAt: t('10-16 03:30'),
          cause: 'Webhook retries re-sent capture requests',
          commander: 'ivan',
          references: ['https://github.com/acme/payments-api/pull/112'],
        },
        {
          id: '9032',
          name: 'INC-32 3-D Secure challenge loop',
          startedAt: t('10-19 21:20'),
          resolvedAt: t('10-19 23:00'),
          cause: 'The card network changed its challenge flow',
          commander: 'dave',
          references: [],
        },
        {
          id: '9033',
          name: 'Blank checkout on Safari',
          startedAt: t('10-12 02:50'),
          resolvedAt: t('10-12 04:30'),
          cause: 'Safari 18 release',
          commander: 'erin',
          references: [],
        },
        {
          id: '9034',
          name: 'Stale FX rates at checkout',
          startedAt: t('10-23 10:40'),
          resolvedAt: t('10-23 11:20'),
          cause: 'FX provider switch',
          commander: 'dave',
          references: [merge('payments-api', 123)],
        },
        {
          id: '9035',
          name: 'Recommendations widget 500s',
          startedAt: t('10-19 14:45'),
          resolvedAt: null,
          cause: 'New recommendations service',
          commander: 'dave',
          references: ['acme/web-app#318'],
        },
      ],
      onCall: [
        { calendar: 'Incident Commanders', login: 'erin', from: t('10-01 00:00'), to: t('10-15 00:00') },
        { calendar: 'Incident Commanders', login: 'ivan', from: t('10-15 00:00'), to: t('10-19 00:00') },
        { calendar: 'Incident Commanders', login: 'dave', from: t('10-19 00:00'), to: t('11-01 06:00') },
      ],
    },
  };
}

// ── Real-organisation scenarios (issues "Verdicts that hold on a real organisation" and
// "Missing evidence is unknown"): the ways a real organisation slips past a policy, each its own
// payments-api PR merged after the repository's other October changes. Other blocks add their
// scenarios elsewhere; keep this one together.
function addRealOrganisationScenarios(
  payments: DemoRepo,
  infra: DemoRepo,
  auditLog: WorldAuditEventDoc[],
): void {
  const authFiles = [modified('src/auth/session.ts', 24, 6)];
  // A Security Champ approved the first commit; more auth code was pushed after it.
  payments.ship(
    payments.pr({
      number: 130,
      title: 'ENG-230 Shorter session lifetime (Security Champ approved the first commit only)',
      body: changeRecord({
        ...ROUTINE,
        description:
          'carol (Security Champ) approved the first commit; alice then pushed more auth code and bob approved that.',
      }),
      author: 'alice',
      headRef: 'alice/ENG-230-session-lifetime',
      createdAt: t('10-29 07:30'),
      commits: [{ at: t('10-29 08:00') }, { at: t('10-29 08:40'), message: 'Also rotate the refresh token' }],
      files: authFiles,
      reviews: [
        { author: 'carol', state: 'APPROVED', at: t('10-29 08:20'), onCommit: 0 },
        approval('bob', t('10-29 08:50')),
      ],
      mergedAt: t('10-29 09:00'),
    }),
  );
  // The only approval is an app's.
  payments.ship(
    payments.pr({
      number: 131,
      title: 'ENG-231 Ledger rounding to banker’s rounding (approved only by a bot)',
      body: changeRecord({ ...ROUTINE, description: 'review-bot, an app account, approved; no person did.' }),
      author: 'bob',
      headRef: 'bob/ENG-231-rounding',
      createdAt: t('10-29 10:00'),
      files: [modified('src/ledger/rounding.ts', 12, 4)],
      reviews: [approval('review-bot', t('10-29 10:50'))],
      mergedAt: t('10-29 11:00'),
    }),
  );
  // bob pushed the last commit to alice's branch, then approved the PR.
  payments.ship(
    payments.pr({
      number: 132,
      title: 'ENG-232 Refund reason codes (the reviewer pushed the last commit)',
      body: changeRecord({
        ...ROUTINE,
        description:
          'bob pushed a fix-up commit onto the branch and then approved: he reviewed his own push.',
      }),
      author: 'alice',
      headRef: 'alice/ENG-232-reason-codes',
      createdAt: t('10-29 12:30'),
      commits: [
        { at: t('10-29 13:00') },
        { at: t('10-29 13:30'), message: 'Fix up reason codes', pushedBy: 'bob' },
      ],
      files: [file('src/refunds/reasons.ts', 40)],
      reviews: [approval('bob', t('10-29 13:45'))],
      mergedAt: t('10-29 14:00'),
    }),
  );
  // The required `unit` reported by a status alice posted by hand, not by CI.
  const handPostedAt = t('10-30 08:40');
  payments.ship(
    payments.pr({
      number: 133,
      title: 'ENG-233 Faster statement export (unit status posted by the author)',
      body: changeRecord({
        ...ROUTINE,
        description: 'No unit check ran; alice posted a `unit` status by hand.',
      }),
      author: 'alice',
      headRef: 'alice/ENG-233-statement-export',
      createdAt: t('10-30 08:00'),
      commits: [{ at: handPostedAt }],
      files: [modified('src/statements/export.ts', 30, 10)],
      checks: [
        ...ci(PAYMENTS_CI, handPostedAt, { unit: { absent: true } }),
        {
          name: 'unit',
          kind: 'status',
          app: 'alice',
          creator: 'alice',
          startedAt: plusMinutes(handPostedAt, 3),
          completedAt: plusMinutes(handPostedAt, 3),
        },
      ],
      reviews: [approval('bob', t('10-30 08:50'))],
      mergedAt: t('10-30 09:00'),
    }),
  );
  // Every check passed before the merge; `unit` was re-run after it and failed.
  const reRunHead = t('10-30 10:20');
  payments.ship(
    payments.pr({
      number: 134,
      title: 'ENG-234 Cache FX rates (a re-run after the merge failed)',
      body: changeRecord({
        ...ROUTINE,
        description:
          'CI was green before the merge; a re-run of unit 40 minutes after the merge failed (flaky).',
      }),
      author: 'bob',
      headRef: 'bob/ENG-234-fx-cache',
      createdAt: t('10-30 10:00'),
      commits: [{ at: reRunHead }],
      files: [file('src/fx/cache.ts', 55)],
      checks: [
        ...ci(PAYMENTS_CI, reRunHead),
        { name: 'unit', conclusion: 'FAILURE', startedAt: t('10-30 11:40'), completedAt: t('10-30 11:48') },
      ],
      reviews: [approval('alice', t('10-30 10:50'))],
      mergedAt: t('10-30 11:00'),
    }),
  );
  // Paths the old globs missed: src/authentication/ and config/secrets/ are security-sensitive.
  payments.ship(
    payments.pr({
      number: 135,
      title: 'ENG-235 Move login throttling into src/authentication (security path, no Security Champ)',
      body: changeRecord({
        ...ROUTINE,
        description: 'Touches src/authentication/ and config/secrets/; only bob approved.',
      }),
      author: 'alice',
      headRef: 'alice/ENG-235-login-throttle',
      createdAt: t('10-30 12:00'),
      files: [modified('src/authentication/throttle.ts', 35, 12), modified('config/secrets/README.md', 3, 1)],
      reviews: [approval('bob', t('10-30 12:50'))],
      mergedAt: t('10-30 13:00'),
    }),
  );
  // Infrastructure the old globs missed: a .tfvars file and a Helm chart.
  payments.ship(
    payments.pr({
      number: 136,
      title: 'ENG-236 Raise the API replica count (tfvars and chart, no SRE sign-off)',
      body: changeRecord({
        ...ROUTINE,
        description: 'Changes envs/prod.tfvars and charts/api/values.yaml; only bob approved.',
      }),
      author: 'alice',
      headRef: 'alice/ENG-236-replicas',
      createdAt: t('10-30 14:00'),
      files: [modified('envs/prod.tfvars', 1, 1), modified('charts/api/values.yaml', 2, 2)],
      reviews: [approval('bob', t('10-30 14:50'))],
      mergedAt: t('10-30 15:00'),
    }),
  );
  // "SHA-256" is a standard, not a ticket; a Linear branch name in lower case is a ticket.
  payments.ship(
    payments.pr({
      number: 137,
      title: 'Switch to SHA-256 digests',
      body: changeRecord({ ...ROUTINE, description: 'No ticket: SHA-256 in the title is not a Linear key.' }),
      author: 'bob',
      headRef: 'bob/switch-digests',
      createdAt: t('10-30 16:00'),
      files: [modified('src/signing/digest.ts', 8, 8)],
      reviews: [approval('alice', t('10-30 16:50'))],
      mergedAt: t('10-30 17:00'),
    }),
  );
  payments.ship(
    payments.pr({
      number: 138,
      title: 'Receipt e-mails in Danish',
      body: changeRecord({
        ...ROUTINE,
        description: 'The ticket is in the branch name, as Linear writes it: eng-238.',
      }),
      author: 'alice',
      headRef: 'alice/eng-238-danish-receipts',
      createdAt: t('10-30 18:00'),
      files: [file('src/receipts/da.ts', 25)],
      reviews: [approval('bob', t('10-30 18:50'))],
      mergedAt: t('10-30 19:00'),
    }),
  );
  // Deployments at the edges: staging a day and more before production, and a canary GitHub
  // flags production_environment.
  const edges = payments.pr({
    number: 139,
    title: 'ENG-239 Payout schedule API (staged a day early; canary flagged production)',
    body: changeRecord({
      ...ROUTINE,
      description:
        'Deployed to staging on the 30th, canary and production on the 31st; the canary environment is flagged production_environment.',
    }),
    author: 'bob',
    headRef: 'bob/ENG-239-payouts',
    createdAt: t('10-30 20:00'),
    files: [file('src/payouts/schedule.ts', 60)],
    reviews: [approval('alice', t('10-30 20:50'))],
    mergedAt: t('10-30 21:00'),
  });
  const stage = (environment: string, at: string) =>
    payments.history.deploy({
      sha: edges.mergeCommit!,
      environment,
      at,
      creator: BOT,
      performedViaApp: 'github-actions',
      outcome: 'success',
    });
  stage('staging', t('10-30 21:05'));
  // GitHub lets a repository flag any environment as production; it is still the canary stage.
  Object.assign(stage('canary', t('10-31 23:00')), { productionEnvironment: true });
  stage('production', t('10-31 23:30'));
  // Merged on the 31st, deployed on the 1st: judged by that deployment (the pack settles on the 3rd).
  const late = payments.pr({
    number: 140,
    title: 'ENG-240 Month-end payout batch (merged on the 31st, deployed on the 1st)',
    body: changeRecord({
      ...ROUTINE,
      description: 'Merged 31 October 20:00 UTC; the pipeline ran at 01:00 on 1 November.',
    }),
    author: 'alice',
    headRef: 'alice/ENG-240-payout-batch',
    createdAt: t('10-31 19:00'),
    files: [file('src/payouts/batch.ts', 45)],
    reviews: [approval('bob', t('10-31 19:50'))],
    mergedAt: t('10-31 20:00'),
  });
  payments.history.pipeline({ sha: late.mergeCommit!, at: t('11-01 01:00'), triggeredBy: 'alice', bot: BOT });
  // A branch never merged, deployed to production by hand from frank's machine.
  const unmerged = payments.pr({
    number: 141,
    title: 'ENG-241 Waive card fees for one merchant (never merged; deployed by hand)',
    body: changeRecord({
      ...ROUTINE,
      description: 'Still open: nobody reviewed it, yet frank deployed its head to production.',
    }),
    author: 'frank',
    headRef: 'frank/ENG-241-waive-fees',
    createdAt: t('10-31 21:00'),
    commits: [{ at: t('10-31 21:20') }],
    files: [modified('src/fees/waivers.ts', 6, 0)],
  });
  const byHand = payments.history.deploy({
    sha: unmerged.commits.at(-1)!,
    environment: 'production',
    at: t('10-31 22:00'),
    creator: 'frank',
    performedViaApp: null,
    outcome: 'success',
  });
  Object.assign(byHand, { ref: unmerged.headRef });

  // frank (no override approver) bypasses infra's protection and writes an Approved-by trailer
  // naming heidi himself; heidi never reviewed, commented or acted: the trailer is his own claim.
  const beforeTrailer = infra.history.head;
  const trailerSha = infra.history.push({
    label: DEMO_PUSHES.selfApprovedTrailer.label,
    at: t('10-28 16:00'),
    author: 'frank',
    message:
      'Scale the bastion host down to zero\n\n' +
      'Justification: nobody has used the bastion since SSM Session Manager\n' +
      'Risk: low, the instance can be started again from the console\n' +
      'Approved-by: @heidi',
    signed: true,
    activityType: 'push',
    ruleSuite: 'bypass',
  });
  auditLog.push({
    action: 'protected_branch.policy_override',
    actor: 'frank',
    repo: 'acme/infra',
    branch: 'refs/heads/main',
    createdAt: t('10-28 16:00'),
    after: trailerSha,
    before: beforeTrailer,
    reasons: [{ code: 'pull_request_required', message: 'Changes must be made through a pull request.' }],
  });
}

/**
 * web-app, real-organisation block: a commit made on 29 September (after the last September
 * merge) and pushed straight to main on 2 October by grace; main did not move in between, so
 * the push is a fast-forward. It is an October change, dated by the push.
 */
function addLatePushScenario(web: DemoRepo): void {
  const sha = web.history.push({
    label: DEMO_PUSHES.latePush.label,
    madeAt: t('09-29 16:00'),
    at: t('10-02 09:00'),
    author: 'grace',
    message: 'Tighten the content security policy',
    signed: true,
  });
  web.history.pipeline({ sha, at: t('10-02 09:05'), triggeredBy: 'grace', bot: BOT });
}

/** web-app, real-organisation block: scenarios at the end of October (after #321, before #322). */
function addRealOrganisationWebScenarios(web: DemoRepo): void {
  // bob pushes his PR's head straight to main: GitHub marks #324 merged, activity shows a push.
  const headPushed = web.pr({
    number: 324,
    title: 'WEB-117 Gift card balance page (head pushed straight to main)',
    body: changeRecord({
      ...ROUTINE,
      description: 'bob pushed the branch head to main with git push; nobody reviewed or merged it.',
    }),
    author: 'bob',
    headRef: 'bob/WEB-117-gift-cards',
    createdAt: t('10-30 08:00'),
    commits: [{ at: t('10-30 08:30') }],
    files: [file('src/pages/gift-cards.tsx', 70)],
  });
  web.history.pushPullRequestHead(headPushed, t('10-30 09:00'), 'bob');
  web.history.pipeline({ sha: headPushed.mergeCommit!, at: t('10-30 09:05'), triggeredBy: 'bob', bot: BOT });
  // No SCA check ran: `scala-compile` contains "sca" only as letters, not as a word. web-app has
  // no required checks, so SCA is judged by category alone.
  const scalaHead = t('10-30 10:30');
  web.ship(
    web.pr({
      number: 325,
      title: 'WEB-118 Price formatting service (only scala-compile ran, no SCA)',
      body: changeRecord({
        ...ROUTINE,
        description: 'npm-audit was not run; a scala-compile check ran instead.',
      }),
      author: 'grace',
      headRef: 'grace/WEB-118-price-format',
      createdAt: t('10-30 10:00'),
      commits: [{ at: scalaHead }],
      files: [file('src/format/price.ts', 40)],
      checks: [
        ...ci(WEB_CI, scalaHead, { 'npm-audit': { absent: true } }),
        {
          name: 'scala-compile',
          conclusion: 'SUCCESS',
          startedAt: plusMinutes(scalaHead, 2),
          completedAt: plusMinutes(scalaHead, 9),
        },
      ],
      reviews: [approval('bob', t('10-30 11:30'))],
      mergedAt: t('10-30 12:00'),
    }),
  );
}

function isMain(): boolean {
  const entry = process.argv[1];
  return entry !== undefined && fileURLToPath(import.meta.url) === entry;
}

if (isMain()) {
  const text = serializeWorld(buildDemoWorld());
  writeFileSync(DEMO_WORLD_FILE, text);
  process.stdout.write(`wrote ${DEMO_WORLD_FILE} (${(text.length / 1024).toFixed(0)} KiB)\n`);
}
