import { createHash } from 'node:crypto';
import type { Change } from '../../../lambdas/core/change.ts';
import { CONTROL_RULES } from '../../../lambdas/core/controls/index.ts';
import type { EvaluationContext, RuleResult } from '../../../lambdas/core/controls/rule.ts';
import { buildPeriodFacts } from '../../../lambdas/core/facts.ts';
import type { EvidenceItem, PeriodEvidence } from '../../../lambdas/core/period-evidence.ts';
import { standingGaps } from '../../../lambdas/core/period-gaps.ts';
import { judgeRetention, measureChangeFailureRate } from '../../../lambdas/core/period-metrics.ts';
import { buildPopulation } from '../../../lambdas/core/population.ts';
import { type ControlId, type Profile, profileVersionAt } from '../../../lambdas/core/profile.ts';
import { shippedProfile } from '../../../lambdas/core/shipped-profiles.ts';
import { monthWindow, type Window } from '../../../lambdas/core/window.ts';
import type { DataOf, DocumentKind, EvidenceDocument } from '../../../lambdas/evidence/documents.ts';
import type { GapInput } from '../../../lambdas/evidence/gaps.ts';
import type { RetentionStatus } from '../../../lambdas/evidence/ports.ts';
import { evidenceKey } from '../../../lambdas/evidence/record.ts';

/** Terse builders of stored evidence for the core's tests: small hand-made documents. */

export const ORG = 'acme';
export const REPO = 'acme/payments-api';
export const OCTOBER = monthWindow('2026-10');
export const FETCHED_AT = '2026-11-01T06:00:00Z';

/** A deterministic 40-hex SHA named by a word, e.g. `sha('merge-101')`. */
export function sha(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 40);
}

export function doc<K extends DocumentKind>(
  kind: K,
  itemId: string,
  occurredAt: string,
  data: DataOf<K>,
  options: { repo?: string; fetchedAt?: string; versionId?: string } = {},
): EvidenceItem<K> {
  const repo = options.repo ?? (kind === 'team-membership' || kind === 'collection-run' ? ORG : REPO);
  const document: EvidenceDocument<K> = {
    schema: 'cm01.evidence/1',
    kind,
    org: ORG,
    repo,
    itemId,
    occurredAt,
    provenance: {
      source: 'github-graphql',
      request: `test ${kind}`,
      parameters: {},
      tokenIdentity: 'test',
      toolVersion: 'test',
      fetchedAt: options.fetchedAt ?? FETCHED_AT,
      apiCost: { requests: 1, graphqlPoints: 0 },
    },
    data,
  };
  return {
    doc: document,
    ref: { key: evidenceKey(kind, repo, occurredAt, itemId), versionId: options.versionId ?? `v-${itemId}` },
  };
}

type Commit = DataOf<'pull-request'>['commits'][number];

export function commit(seed: string, at: string, overrides: Partial<Commit> = {}): Commit {
  return {
    sha: sha(seed),
    message: `${seed}\n`,
    author: 'alice',
    committer: 'web-flow',
    authoredAt: at,
    committedAt: at,
    parents: [],
    signature: { isValid: true, state: 'VALID', signer: 'web-flow' },
    ...overrides,
  };
}

type PullRequest = DataOf<'pull-request'>;

export const GOOD_BODY = [
  '## Description',
  'Adds refunds.',
  '## Systems affected',
  'payments-api',
  '## Risk',
  'Low.',
  '## Rollback plan',
  'Revert the PR.',
].join('\n');

/**
 * A merged PR that passes every control: squash-merged by its author at `mergedAt`, approved by
 * bob on the head, four CI categories green, a ticket in the title, a full change record.
 */
export function pullRequest(
  number: number,
  mergedAt: string,
  overrides: Partial<PullRequest> = {},
): EvidenceItem<'pull-request'> {
  const merged = Date.parse(mergedAt);
  const before = (minutes: number) => new Date(merged - minutes * 60_000).toISOString();
  const head = commit(`head-${number}`, before(120));
  const data: PullRequest = {
    number,
    url: `https://github.com/${REPO}/pull/${number}`,
    title: `ENG-${number} Change ${number}`,
    body: GOOD_BODY,
    author: { login: 'alice', type: 'User' },
    baseRef: 'main',
    headRef: `alice/change-${number}`,
    headSha: head.sha,
    createdAt: before(240),
    mergedAt,
    mergedBy: { login: 'alice', type: 'User' },
    mergeCommit: commit(`merge-${number}`, mergedAt, { parents: [sha('base')] }),
    commits: [head],
    reviews: [approval('bob', before(30), head.sha)],
    checks: ['unit', 'integration', 'sca', 'sast'].map((name) => check(name, head.sha, before(60))),
    files: [{ path: 'src/payments/refund.ts', additions: 10, deletions: 2, changeType: 'MODIFIED' }],
    labels: [],
    labelEvents: [],
    comments: [],
    completeness: [],
    ...overrides,
  };
  return doc('pull-request', String(number), mergedAt, data);
}

export function approval(
  author: string,
  submittedAt: string,
  commitSha: string | null,
): PullRequest['reviews'][number] {
  return {
    id: `review-${author}-${submittedAt}`,
    author,
    state: 'APPROVED',
    previousState: null,
    submittedAt,
    commitSha,
    dismissedAt: null,
    dismissedBy: null,
  };
}

export function check(
  name: string,
  commitSha: string,
  completedAt: string | null,
  conclusion: string | null = 'SUCCESS',
): PullRequest['checks'][number] {
  return {
    name,
    kind: 'check_run',
    app: 'github-actions',
    commitSha,
    status: completedAt ? 'COMPLETED' : 'IN_PROGRESS',
    conclusion,
    startedAt: completedAt,
    completedAt,
  };
}

/** The default-branch commit a PR's merge produced, associated with the PR. */
export function mergeOf(
  pr: EvidenceItem<'pull-request'>,
  overrides: Partial<DataOf<'branch-commit'>> = {},
): EvidenceItem<'branch-commit'> {
  const data = pr.doc.data;
  const merge = data.mergeCommit!;
  return branchCommit(merge, {
    associatedPullRequests: [
      { number: data.number, mergedAt: data.mergedAt, mergeCommitSha: merge.sha, baseRef: 'main' },
    ],
    activity: {
      id: data.number,
      activityType: 'pr_merge',
      actor: data.mergedBy?.login ?? null,
      timestamp: data.mergedAt,
      before: null,
      after: merge.sha,
    },
    ...overrides,
  });
}

export function branchCommit(
  data: Commit,
  overrides: Partial<DataOf<'branch-commit'>> = {},
): EvidenceItem<'branch-commit'> {
  return doc('branch-commit', data.sha, data.committedAt, {
    branch: 'main',
    commit: data,
    associatedPullRequests: [],
    activity: null,
    ...overrides,
  });
}

/** A commit pushed straight to main by `actor`. */
export function directPush(
  seed: string,
  at: string,
  actor = 'mallory',
  overrides: Partial<Commit> = {},
): EvidenceItem<'branch-commit'> {
  const pushed = commit(seed, at, { author: actor, committer: actor, ...overrides });
  return branchCommit(pushed, {
    activity: {
      id: 9000 + at.length,
      activityType: 'push',
      actor,
      timestamp: at,
      before: null,
      after: pushed.sha,
    },
  });
}

type Deployment = DataOf<'deployment'>;

/** A deployment with one `in_progress` status at creation and a final `state` a few minutes later. */
export function deployment(
  id: number,
  commitSha: string,
  environment: string,
  createdAt: string,
  state: string | readonly { state: string; at: string }[] = 'success',
  overrides: Partial<Deployment> = {},
): EvidenceItem<'deployment'> {
  const plus = (minutes: number) => new Date(Date.parse(createdAt) + minutes * 60_000).toISOString();
  const statuses = typeof state === 'string' ? [{ state, at: plus(5) }] : state;
  return doc('deployment', String(id), createdAt, {
    id,
    sha: commitSha,
    ref: 'main',
    environment,
    productionEnvironment: environment === 'production',
    creator: { login: 'deploy-bot', type: 'Bot' },
    performedViaApp: null,
    createdAt,
    statuses: statuses.map((s) => ({
      state: s.state,
      createdAt: s.at,
      creator: { login: 'deploy-bot', type: 'Bot' },
      logUrl: null,
      description: null,
    })),
    workflowRun: null,
    ...overrides,
  });
}

/** staging, canary and production deployments of `commitSha`, 10 minutes apart from `at`. */
export function pipeline(
  firstId: number,
  commitSha: string,
  at: string,
  productionState: Parameters<typeof deployment>[4] = 'success',
) {
  const plus = (minutes: number) => new Date(Date.parse(at) + minutes * 60_000).toISOString();
  return [
    deployment(firstId, commitSha, 'staging', plus(0)),
    deployment(firstId + 1, commitSha, 'canary', plus(10)),
    deployment(firstId + 2, commitSha, 'production', plus(20), productionState),
  ];
}

export function protection(
  at = '2026-10-01T00:00:00Z',
  requiredStatusChecks = ['unit', 'integration', 'sca', 'sast'],
) {
  return doc('branch-protection', at.slice(0, 10), at, {
    branch: 'main',
    protection: {
      requiredStatusChecks,
      requiredApprovingReviewCount: 0,
      requireSignedCommits: true,
      enforceAdmins: true,
    },
    rulesets: [],
  });
}

export function team(slug: string, members: string[], at = '2026-10-01T00:00:00Z') {
  return doc('team-membership', `${slug}@${at.slice(0, 10)}`, at, { team: slug, members });
}

export const TEAMS = [
  team('security-champs', ['carol']),
  team('sre', ['dave']),
  team('incident-commanders', ['erin']),
  team('override-approvers', ['dave', 'frank']),
];

export function override(
  afterSha: string,
  at: string,
  overrides: Partial<DataOf<'override'>> = {},
): EvidenceItem<'override'> {
  return doc('override', `override-${at}`, at, {
    branch: 'refs/heads/main',
    actor: 'dave',
    at,
    beforeSha: null,
    afterSha,
    sources: ['audit-log'],
    reasons: [{ code: 'review_policy_not_satisfied', message: 'bypassed' }],
    commit: null,
    pullRequest: null,
    ...overrides,
  });
}

export function collectionRun(gaps: readonly GapInput[], collector = 'collect-deployments') {
  return doc('collection-run', `run-${collector}`, '2026-11-01T06:00:00Z', {
    runId: `run-${collector}`,
    collector,
    window: { from: OCTOBER.from, to: OCTOBER.to },
    repos: [REPO],
    status: gaps.length > 0 ? 'partial' : 'succeeded',
    startedAt: '2026-11-01T06:00:00Z',
    finishedAt: '2026-11-01T06:01:00Z',
    counts: {},
    gaps: gaps.map((gap) => ({ ...gap, window: gap.window ?? null })),
    errors: [],
    apiCost: { requests: 1, graphqlPoints: 0 },
  });
}

export function evidenceOf(parts: Partial<PeriodEvidence>): PeriodEvidence {
  return {
    pullRequests: [],
    branchCommits: [],
    deployments: [],
    overrides: [],
    branchProtection: [protection()],
    teams: TEAMS,
    runs: [],
    ...parts,
  };
}

export const CLERK: Profile = shippedProfile('clerk-cm01').profile;
export const CLICKI: Profile = shippedProfile('clicki').profile;

export const S3_RETENTION: RetentionStatus = {
  store: 's3',
  location: 's3://evidence',
  immutable: true,
  versioning: 'Enabled',
  objectLock: { enabled: true, mode: 'COMPLIANCE', days: 365 },
  lifecycle: [],
  notes: [],
};

/** Judge every change of the evidence with one rule; keyed by change id (`acme/payments-api#101`, `acme/payments-api@<sha>`). */
export function judge(
  control: ControlId,
  evidence: PeriodEvidence,
  options: { profile?: Profile; window?: Window } = {},
): Map<string, RuleResult & { change: Change }> {
  const profile = options.profile ?? CLERK;
  const window = options.window ?? OCTOBER;
  const gaps = standingGaps(evidence);
  const factsWithGaps = buildPeriodFacts(evidence, window, gaps, profile.parameters.cdkRepositories);
  const periodVerdicts = {
    RETENTION: judgeRetention(S3_RETENTION, [], profile.parameters, new Map()).verdict,
    'CHANGE-FAILURE-RATE': measureChangeFailureRate(evidence, factsWithGaps, profile.parameters).verdict,
  };
  const results = new Map<string, RuleResult & { change: Change }>();
  for (const change of buildPopulation(evidence, window)) {
    const context: EvaluationContext = {
      facts: factsWithGaps,
      version: profileVersionAt(profile, change.mergedAt),
      parameters: profile.parameters,
      periodVerdicts,
    };
    results.set(change.id, { ...CONTROL_RULES[control].evaluate(change, context), change });
  }
  return results;
}

/** The one result of `judge` for a PR number or a commit SHA. */
export function only(
  results: Map<string, RuleResult & { change: Change }>,
  id: number | string,
): RuleResult & { change: Change } {
  const key = typeof id === 'number' ? `${REPO}#${id}` : `${REPO}@${id}`;
  const found = results.get(key);
  if (!found) throw new Error(`no change ${key}; have ${[...results.keys()].join(', ')}`);
  return found;
}
