/**
 * A seeded generator of large, realistic `github-world/1` organisations for benchmarks and
 * load tests: many repositories, thousands of merged PRs with heavy-tailed sizes (most PRs are
 * small, a few are huge: 300 commits, 3,000 files, 150 checks), squash and merge commits, direct
 * pushes (some of them overrides), emergency and security changes, and deployments through a
 * staging ⇒ canary ⇒ production pipeline with occasional failures and rollbacks.
 *
 * Pure and deterministic: the same options give the same world, byte for byte. Usage:
 *   npx tsx emulator/generate-world.ts --seed 1 --repos 20 --prs 2000 --out big.world.json
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type CheckSpec,
  type CommitSpec,
  DeterministicIds,
  isoAt,
  plusMinutes,
  RepoHistory,
  type ReviewSpec,
  serializeWorld,
  worldDocument,
} from './worlds/history-builder.ts';
import type {
  WorldAuditEventDoc,
  WorldDocument,
  WorldFileDoc,
  WorldUserDoc,
} from './worlds/world-document.ts';

export interface GenerateWorldOptions {
  readonly seed: string | number;
  readonly repos: number;
  /** Merged pull requests in the whole organisation (open ones come on top). */
  readonly pullRequests: number;
  /** The world's clock; defaults to 2026-11-01T06:00:00Z. */
  readonly now?: string;
  /** How far back history reaches; defaults to 90 days. */
  readonly days?: number;
  /** Fraction of default-branch changes pushed directly instead of merged; defaults to 0.02. */
  readonly directPushRate?: number;
  /** Fraction of production deployments that fail; defaults to 0.03. */
  readonly deploymentFailureRate?: number;
  /** Engineers besides the named roles; defaults to max(12, repos * 3). */
  readonly engineers?: number;
  readonly org?: string;
}

export const DEFAULT_GENERATED_NOW = '2026-11-01T06:00:00Z';

/** Size limits of a typical PR; only the deliberate outliers exceed them. */
export const TYPICAL_PR_LIMITS = { commits: 20, reviews: 5, files: 50, checks: 20 } as const;
export const OUTLIER_SIZES = { commits: 300, files: 3000, checks: 150 } as const;

const MINUTES_PER_DAY = 24 * 60;
const BOT = 'deploy-bot';
const CATEGORY_CHECKS = ['unit', 'integration', 'sca', 'sast'] as const;
const EXTRA_CHECKS = [
  'lint',
  'typecheck',
  'format',
  'e2e-smoke',
  'licence-check',
  'docs-build',
  'bundle-size',
];
const SERVICE_AREAS = [
  'billing',
  'orders',
  'search',
  'catalog',
  'checkout',
  'profile',
  'notifications',
  'reports',
];
const SECURITY_AREAS = ['auth', 'crypto', 'pii'];

/** sfc32: a small, fast PRNG with 128 bits of state, seeded from SHA-256 of the seed. */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string | number) {
    const digest = createHash('sha256').update(String(seed)).digest();
    this.a = digest.readUInt32LE(0);
    this.b = digest.readUInt32LE(4);
    this.c = digest.readUInt32LE(8);
    this.d = digest.readUInt32LE(12);
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }

  /** Heavy-tailed count ≥ 1: geometric body with mean ≈ `mean`, capped at `cap`. */
  count(mean: number, cap: number): number {
    const u = 1 - this.next();
    return Math.min(cap, 1 + Math.floor(-Math.log(u) * (mean - 1)));
  }
}

interface People {
  readonly engineers: readonly string[];
  readonly securityChamps: readonly string[];
  readonly sre: readonly string[];
  readonly incidentCommanders: readonly string[];
  readonly overrideApprovers: readonly string[];
}

interface RepoPlan {
  readonly history: RepoHistory;
  readonly kind: 'service' | 'infra';
  readonly checks: readonly string[];
  readonly protected: boolean;
  readonly startMs: number;
}

interface Outliers {
  readonly commits: ReadonlySet<number>;
  readonly files: ReadonlySet<number>;
  readonly checks: ReadonlySet<number>;
}

export function generateWorld(options: GenerateWorldOptions): WorldDocument {
  if (!Number.isInteger(options.repos) || options.repos < 1)
    throw new RangeError('repos must be a positive integer');
  if (!Number.isInteger(options.pullRequests) || options.pullRequests < 0) {
    throw new RangeError('pullRequests must be a non-negative integer');
  }
  const random = new SeededRandom(options.seed);
  const ids = new DeterministicIds(`generated/${String(options.seed)}`);
  const org = options.org ?? 'acme';
  const now = options.now ?? DEFAULT_GENERATED_NOW;
  const nowMs = Date.parse(now);
  const days = options.days ?? 90;
  const startMs = nowMs - days * MINUTES_PER_DAY * 60_000;
  const directPushRate = options.directPushRate ?? 0.02;
  const failureRate = options.deploymentFailureRate ?? 0.03;

  const people = makePeople(options.engineers ?? Math.max(12, options.repos * 3));
  const users: WorldUserDoc[] = [
    ...people.engineers.map((login) => ({
      login,
      name: `Engineer ${login.slice(4)}`,
      type: 'User' as const,
    })),
    { login: BOT, name: 'Deploy bot', type: 'Bot' },
  ];
  const teams = {
    'security-champs': [...people.securityChamps],
    sre: [...people.sre],
    'incident-commanders': [...people.incidentCommanders],
    'override-approvers': [...people.overrideApprovers],
  };

  const repos = Array.from({ length: options.repos }, (_, i) =>
    makeRepo(ids, org, i, random, startMs, people),
  );
  const auditLog: WorldAuditEventDoc[] = [];

  // Spread PRs over repositories unevenly (a few busy repositories, a long tail of quiet ones).
  const weights = repos.map((_, i) => 1 / (i + 1) ** 0.8);
  const totalWeight = weights.reduce((sum, w) => sum + w, 0);
  const perRepo = weights.map((w) => Math.floor((options.pullRequests * w) / totalWeight));
  let remainder = options.pullRequests - perRepo.reduce((sum, n) => sum + n, 0);
  for (let i = 0; remainder > 0; i = (i + 1) % perRepo.length, remainder--) perRepo[i]! += 1;

  const outliers = chooseOutliers(options.pullRequests, random);
  let globalIndex = 0;
  repos.forEach((plan, r) => {
    const count = perRepo[r]!;
    const pushes = Math.round((count * directPushRate) / (1 - directPushRate));
    const changeTimes = Array.from({ length: count + pushes }, () =>
      random.int(startMs + 3 * MINUTES_PER_DAY * 60_000, nowMs - 60 * 60_000),
    ).sort((a, b) => a - b);
    const pushSlots = new Set<number>();
    while (pushSlots.size < pushes) pushSlots.add(random.int(0, changeTimes.length - 1));
    let prNumber = 1;
    let lastGoodProduction: string | null = null;
    changeTimes.forEach((mergeMs, slot) => {
      const at = isoAt(Math.max(mergeMs, Date.parse(plan.history.headTime) + 60_000));
      let sha: string;
      let actor: string;
      if (pushSlots.has(slot)) {
        actor = random.pick(people.engineers);
        const override = plan.protected && random.chance(0.5);
        const before = plan.history.head;
        sha = plan.history.push({
          label: `push-${slot}`,
          at,
          author: actor,
          message: override
            ? `Hotfix pushed directly\n\nJustification: incident mitigation\nRisk: low\nApproved-by: ${random.pick(people.overrideApprovers)}`
            : 'Fix pushed directly to the default branch',
          signed: random.chance(0.7),
          ...(plan.protected ? { ruleSuite: 'bypass' as const } : {}),
        });
        if (override) {
          auditLog.push({
            action: 'protected_branch.policy_override',
            actor,
            repo: `${org}/${plan.history.name}`,
            branch: `refs/heads/${plan.history.defaultBranch}`,
            createdAt: at,
            after: sha,
            before,
            reasons: [
              { code: 'pull_request_required', message: 'Changes must be made through a pull request.' },
            ],
          });
        }
      } else {
        const pr = generatePullRequest(plan, prNumber++, at, random, people, outliers, globalIndex++, nowMs);
        sha = pr.sha;
        actor = pr.mergedBy;
      }
      if (plan.kind === 'service') {
        const deployAt = plusMinutes(at, 5);
        // Leave room for the pipeline and a rollback: nothing may happen after `now`.
        if (Date.parse(deployAt) + 120 * 60_000 < nowMs) {
          const failed = random.chance(failureRate);
          const result = plan.history.pipeline({
            sha,
            at: deployAt,
            triggeredBy: actor,
            bot: BOT,
            skipCanary: random.chance(0.01),
            productionOutcome: failed ? 'failure' : 'success',
          });
          if (failed && lastGoodProduction && random.chance(0.7)) {
            plan.history.rollback({
              toSha: lastGoodProduction,
              at: plusMinutes(result.finishedAt, random.int(3, 30)),
              bot: BOT,
            });
          } else if (!failed) {
            lastGoodProduction = sha;
          }
        }
      }
    });
    // A few open PRs per repository: not merged, so never in a population.
    for (let k = 0; k < Math.min(3, Math.ceil(count / 50)); k++) {
      const anchor = isoAt(nowMs - random.int(2, 48) * 60 * 60_000);
      generatePullRequest(plan, prNumber++, anchor, random, people, outliers, -1, nowMs, false);
    }
  });

  return worldDocument({
    org,
    plan: 'enterprise',
    now,
    users,
    teams,
    repos: repos.map((r) => r.history),
    auditLog,
  });
}

function makePeople(count: number): People {
  const engineers = Array.from({ length: count }, (_, i) => `dev-${String(i + 1).padStart(3, '0')}`);
  const slice = (from: number, n: number) => engineers.slice(from, from + Math.max(2, n));
  return {
    engineers,
    securityChamps: slice(0, Math.ceil(count / 12)),
    sre: slice(Math.ceil(count / 12), Math.ceil(count / 10)),
    incidentCommanders: slice(Math.ceil(count / 5), Math.ceil(count / 15)),
    overrideApprovers: slice(Math.ceil(count / 3), 2),
  };
}

function makeRepo(
  ids: DeterministicIds,
  org: string,
  index: number,
  random: SeededRandom,
  startMs: number,
  people: People,
): RepoPlan {
  const kind = index % 5 === 4 ? 'infra' : 'service';
  const name =
    kind === 'infra'
      ? `infra-${String(index + 1).padStart(2, '0')}`
      : `service-${String(index + 1).padStart(2, '0')}`;
  const isProtected = index % 7 !== 6;
  const history = new RepoHistory(ids, org, {
    name,
    protection: isProtected
      ? {
          requiredStatusChecks: [...CATEGORY_CHECKS],
          requiredApprovingReviewCount: kind === 'infra' ? 1 : 0,
          requireSignedCommits: true,
          enforceAdmins: false,
        }
      : null,
    rulesets: isProtected
      ? [
          {
            id: 100 + index,
            name: 'protect-default-branch',
            enforcement: 'active',
            target: '~DEFAULT_BRANCH',
            rules: ['pull_request', 'required_signatures', 'required_status_checks'],
            bypassActors: people.overrideApprovers.map((login) => ({ login, mode: 'always' as const })),
          },
        ]
      : [],
  });
  history.initialCommit(isoAt(startMs), random.pick(people.engineers));
  const extras = EXTRA_CHECKS.slice(0, random.int(0, 3));
  return { history, kind, checks: [...CATEGORY_CHECKS, ...extras], protected: isProtected, startMs };
}

/** Indices (in merge order across the organisation) of the deliberately huge PRs. */
function chooseOutliers(total: number, random: SeededRandom): Outliers {
  const each = total >= 50 ? Math.max(1, Math.round(total / 1000)) : 0;
  const pickSet = (): Set<number> => {
    const set = new Set<number>();
    while (set.size < each) set.add(random.int(0, total - 1));
    return set;
  };
  return { commits: pickSet(), files: pickSet(), checks: pickSet() };
}

function generatePullRequest(
  plan: RepoPlan,
  number: number,
  mergedAt: string,
  random: SeededRandom,
  people: People,
  outliers: Outliers,
  index: number,
  nowMs: number,
  merge = true,
): { sha: string; mergedBy: string } {
  const author = random.pick(people.engineers);
  const others = people.engineers.filter((login) => login !== author);
  const commitCount = outliers.commits.has(index)
    ? OUTLIER_SIZES.commits
    : random.chance(0.01)
      ? random.int(21, 60)
      : random.count(3, TYPICAL_PR_LIMITS.commits);
  const fileCount = outliers.files.has(index)
    ? OUTLIER_SIZES.files
    : random.chance(0.01)
      ? random.int(51, 400)
      : random.count(5, TYPICAL_PR_LIMITS.files);
  const extraChecks = outliers.checks.has(index) ? OUTLIER_SIZES.checks - plan.checks.length : 0;

  // Commits end at least 45 minutes before the merge; busy PRs are spread over more time.
  const lastCommitAt = plusMinutes(mergedAt, -random.int(45, 240));
  const spacing = Math.max(0.25, Math.min(30, (random.int(60, 3 * MINUTES_PER_DAY) / commitCount) | 0));
  // A branch starts after the repository's first commit and at most ten days before the head.
  const firstAt = Math.max(
    Date.parse(lastCommitAt) - spacing * (commitCount - 1) * 60_000,
    Date.parse(plan.history.headTime) - 10 * MINUTES_PER_DAY * 60_000,
    plan.startMs + 60_000,
  );
  const step = commitCount > 1 ? (Date.parse(lastCommitAt) - firstAt) / (commitCount - 1) : 0;
  const unsignedFrom = random.chance(0.03) ? random.int(0, commitCount - 1) : commitCount;
  const commits: CommitSpec[] = Array.from({ length: commitCount }, (_, i) => ({
    at: isoAt(firstAt + Math.round(step * i)),
    message: `Change ${i + 1} of ${commitCount}`,
    ...(i >= unsignedFrom ? { signed: false } : {}),
  }));
  const headAt = commits.at(-1)!.at;
  const createdAt = commits[0]!.at;

  const checks: CheckSpec[] = plan.checks.map((name, i) => {
    const late = random.chance(0.01);
    return {
      name,
      conclusion: random.chance(0.02) ? 'FAILURE' : 'SUCCESS',
      startedAt: plusMinutes(headAt, 1),
      completedAt: late ? plusMinutes(mergedAt, random.int(1, 30)) : plusMinutes(headAt, 5 + i * 2),
    };
  });
  for (let i = 0; i < extraChecks; i++) {
    checks.push({
      name: `${i % 3 === 0 ? 'integration' : 'unit'} (shard ${i + 1}/${extraChecks})`,
      startedAt: plusMinutes(headAt, 1),
      completedAt: plusMinutes(headAt, 10 + (i % 20)),
    });
  }

  const securityChange = random.chance(0.05);
  const files = generateFiles(plan, fileCount, securityChange, random);
  const reviews: ReviewSpec[] = [];
  const selfMerge = random.chance(0.1);
  if (!selfMerge) {
    const reviewCount = random.count(1.4, TYPICAL_PR_LIMITS.reviews);
    for (let i = 0; i < reviewCount; i++) {
      const last = i === reviewCount - 1;
      const reviewerPool =
        securityChange && last ? people.securityChamps : plan.kind === 'infra' && last ? people.sre : others;
      const qualified = reviewerPool.filter((login) => login !== author);
      const reviewer = random.pick(qualified.length > 0 ? qualified : others);
      reviews.push({
        author: reviewer,
        state: last ? 'APPROVED' : random.pick(['COMMENTED', 'CHANGES_REQUESTED'] as const),
        at: plusMinutes(headAt, 10 + i * 5),
      });
    }
  }
  const emergency = random.chance(0.01);
  const labels = emergency
    ? [{ name: 'emergency-change', addedBy: random.pick(people.incidentCommanders), addedAt: createdAt }]
    : [];
  const comments = emergency
    ? [
        {
          author: random.pick(people.incidentCommanders),
          createdAt: plusMinutes(mergedAt, 120),
          body: 'Retrospective logged.',
        },
        {
          author: random.pick(people.incidentCommanders),
          createdAt: plusMinutes(mergedAt, random.int(1, 6) * MINUTES_PER_DAY),
          body: `Post-mortem: https://wiki.example.com/post-mortems/${plan.history.name}-${number}`,
        },
      ].filter((comment) => Date.parse(comment.createdAt) <= nowMs)
    : [];
  const key = `${plan.kind === 'infra' ? 'OPS' : 'ENG'}-${1000 + number}`;
  const hasTicket = random.chance(0.95);
  const pr = plan.history.pullRequest({
    number,
    title: hasTicket
      ? `${key} Change ${number} in ${plan.history.name}`
      : `Change ${number} in ${plan.history.name}`,
    body: random.chance(0.8)
      ? '## Description\nGenerated change.\n\n## Systems affected\nThis service.\n\n## Risk\nLow.\n\n## Rollback\nRevert.'
      : 'Generated change.',
    author,
    headRef: hasTicket ? `${author}/${key}` : `${author}/change-${number}`,
    createdAt,
    commits,
    files,
    labels,
    reviews,
    comments,
    checks,
    ...(merge
      ? {
          merge: {
            at: mergedAt,
            by: selfMerge ? author : random.chance(0.8) ? author : (reviews.at(-1)?.author ?? author),
            method: random.chance(0.75) ? ('squash' as const) : ('merge' as const),
          },
        }
      : {}),
  });
  return { sha: pr.mergeCommit ?? pr.commits.at(-1)!, mergedBy: pr.mergedBy ?? author };
}

function generateFiles(
  plan: RepoPlan,
  count: number,
  securityChange: boolean,
  random: SeededRandom,
): WorldFileDoc[] {
  const area = securityChange ? random.pick(SECURITY_AREAS) : random.pick(SERVICE_AREAS);
  return Array.from({ length: count }, (_, i) => {
    const path =
      plan.kind === 'infra'
        ? i % 4 === 3
          ? `terraform/${area}/main-${i}.tf`
          : `lib/${area}/construct-${i}.ts`
        : `src/${area}/module-${i}.ts`;
    const additions = random.count(20, 2000);
    const deletions = random.chance(0.4) ? 0 : random.count(10, 2000);
    return { path, additions, deletions, changeType: deletions === 0 ? 'ADDED' : 'MODIFIED' };
  });
}

function isMain(): boolean {
  const entry = process.argv[1];
  return entry !== undefined && fileURLToPath(import.meta.url) === entry;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      repos: { type: 'string', default: '20' },
      prs: { type: 'string', default: '2000' },
      now: { type: 'string' },
      days: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const repos = Number(values.repos);
  const pullRequests = Number(values.prs);
  if (!Number.isInteger(repos) || repos < 1 || !Number.isInteger(pullRequests) || pullRequests < 0) {
    process.stderr.write(
      'usage: generate-world.ts --seed S --repos N --prs N [--now ISO] [--days N] --out FILE\n',
    );
    process.exitCode = 2;
    return;
  }
  const started = performance.now();
  const world = generateWorld({
    seed: values.seed,
    repos,
    pullRequests,
    ...(values.now ? { now: values.now } : {}),
    ...(values.days ? { days: Number(values.days) } : {}),
  });
  const text = serializeWorld(world);
  const elapsed = performance.now() - started;
  if (values.out) writeFileSync(values.out, text);
  else process.stdout.write(text);
  process.stderr.write(
    `generated ${repos} repositories, ${pullRequests} merged PRs, ${(text.length / 1048576).toFixed(1)} MiB in ${elapsed.toFixed(0)} ms\n`,
  );
}

if (isMain()) main();
