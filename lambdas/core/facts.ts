import picomatch from 'picomatch';
import { type Gap, type GapWindow, gapOverlaps, type WithheldEvidence } from '../evidence/gaps.ts';
import type { Change } from './change.ts';
import type { EvidenceRef } from './pack-model.ts';
import type { EvidenceItem, PeriodEvidence } from './period-evidence.ts';
import { compareText } from './population.ts';
import type { ProfileParameters, TeamReference } from './profile.ts';
import { settleTimeOf } from './settle.ts';
import { buildSourceFacts, type SourceFacts } from './source-facts.ts';
import type { Window } from './window.ts';
import { inWindow } from './window.ts';

/**
 * What the rules may look up beyond the change itself, indexed once per period: team
 * membership and branch protection nearest a moment, deployment history and commit ancestry
 * per repository, and the gaps collectors recorded. Pure: built from the stored evidence only.
 */
export interface PeriodFacts {
  readonly window: Pick<Window, 'from' | 'to'>;
  /** Production deployments up to this moment ship the period's changes (see core/settle.ts). */
  readonly settleAt: string;
  /** Members of a team as of `atIso`; undefined when the team's membership was never snapshotted. */
  teamAt(reference: TeamReference, atIso: string): TeamMembers | undefined;
  /** The branch-protection snapshot of a repository as of `atIso` (see `snapshotAt`). */
  protectionAt(repo: string, atIso: string): SnapshotChoice<'branch-protection'> | undefined;
  /** Every loaded deployment of a repository (any environment), oldest first. */
  deploymentsOf(repo: string): readonly EvidenceItem<'deployment'>[];
  /** Every loaded deployment of one SHA in a repository (any environment), oldest first. */
  deploymentsOfSha(repo: string, sha: string): readonly EvidenceItem<'deployment'>[];
  /** True when `descendant` is `ancestor` or has it in its history on the default branch. */
  contains(repo: string, descendant: string, ancestor: string): boolean;
  /** Whether the collected default-branch history of the repository holds this SHA. */
  onDefaultBranch(repo: string, sha: string): boolean;
  /**
   * Standing gaps withholding one of these kinds of evidence for this repository (or for the
   * whole organisation; `null`: any repository) that cover some of `during` (default: any time).
   */
  gapsFor(withholds: readonly WithheldEvidence[], repo: string | null, during?: GapWindow): readonly Gap[];
  /**
   * Whether the repository's default branch has a `cdk.json` at its root, as the latest snapshot
   * at or before `atIso` shows (else the earliest after it); undefined when no snapshot read its files.
   */
  isCdkRepository(repo: string, atIso: string): boolean | undefined;
  /** The CODEOWNERS of the default branch in the snapshot nearest `atIso`; null when it has none; undefined when not read. */
  codeOwnersAt(
    repo: string,
    atIso: string,
  ): { path: string; text: string; ref: EvidenceRef } | null | undefined;
  /** Linear and Better Stack: configured or not, and what they answered. */
  readonly sources: SourceFacts;
}

export interface TeamMembers {
  readonly members: ReadonlySet<string>;
  /** How the list is known, e.g. `team sre (snapshot of 2026-10-31T00:00:00Z)`. */
  readonly description: string;
  /** The snapshot it came from; absent for a list written in the profile. */
  readonly ref?: EvidenceRef;
  /** True when no snapshot precedes the moment asked about and a later one stands in. */
  readonly takenAfter?: boolean;
}

/** A snapshot chosen for a moment, and whether it was taken after that moment (none before it). */
export type SnapshotChoice<K extends 'branch-protection' | 'team-membership'> = EvidenceItem<K> & {
  readonly takenAfter: boolean;
};

export function buildPeriodFacts(
  evidence: PeriodEvidence,
  window: Pick<Window, 'from' | 'to'>,
  gaps: readonly Gap[],
  /** Repository names (`name` or `org/name` globs) the profile declares CDK repositories. */
  cdkRepositories: readonly string[],
  settleAt: string = settleTimeOf(window),
): PeriodFacts {
  const teamSnapshots = groupBy(evidence.teams, (item) => item.doc.data.team);
  const protectionSnapshots = groupBy(evidence.branchProtection, (item) => item.doc.repo);
  for (const list of [...teamSnapshots.values(), ...protectionSnapshots.values()]) {
    list.sort((a, b) => compareText(a.doc.occurredAt, b.doc.occurredAt) || compareText(a.ref.key, b.ref.key));
  }
  const deployments = groupBy(evidence.deployments, (item) => item.doc.repo);
  for (const list of deployments.values()) {
    list.sort(
      (a, b) => compareText(a.doc.data.createdAt, b.doc.data.createdAt) || a.doc.data.id - b.doc.data.id,
    );
  }
  const bySha = groupBy(evidence.deployments, (item) => `${item.doc.repo}@${item.doc.data.sha}`);
  for (const list of bySha.values()) {
    list.sort(
      (a, b) => compareText(a.doc.data.createdAt, b.doc.data.createdAt) || a.doc.data.id - b.doc.data.id,
    );
  }
  const parents = new Map<string, Map<string, readonly string[]>>();
  for (const item of evidence.branchCommits) {
    const repoParents = parents.get(item.doc.repo) ?? new Map<string, readonly string[]>();
    repoParents.set(item.doc.data.commit.sha, item.doc.data.commit.parents);
    parents.set(item.doc.repo, repoParents);
  }
  const mainline = firstParentLines(evidence.branchCommits);
  const ancestors = new Map<string, Set<string>>();
  const ancestorsOf = (repo: string, sha: string): Set<string> => {
    const cacheKey = `${repo}@${sha}`;
    const cached = ancestors.get(cacheKey);
    if (cached) return cached;
    const repoParents = parents.get(repo);
    const seen = new Set<string>([sha]);
    const stack = [sha];
    while (stack.length > 0) {
      const next = stack.pop()!;
      for (const parent of repoParents?.get(next) ?? []) {
        if (!seen.has(parent)) {
          seen.add(parent);
          stack.push(parent);
        }
      }
    }
    ancestors.set(cacheKey, seen);
    return seen;
  };
  const cdkGlobs =
    cdkRepositories.length > 0 ? picomatch([...cdkRepositories], { nocase: true }) : () => false;
  const cdkRepos = new Set<string>();
  for (const pr of evidence.pullRequests) {
    if (pr.doc.data.files.some((file) => file.path === 'cdk.json' && file.changeType !== 'DELETED')) {
      cdkRepos.add(pr.doc.repo);
    }
  }

  return {
    window,
    settleAt,
    sources: buildSourceFacts(evidence, gaps),
    teamAt(reference, atIso) {
      if (typeof reference !== 'string') {
        return { members: new Set(reference.logins), description: 'the list in the profile' };
      }
      const snapshot = snapshotAt(teamSnapshots.get(reference), atIso);
      if (!snapshot) return undefined;
      return {
        members: new Set(snapshot.doc.data.members),
        description: snapshot.takenAfter
          ? `team ${reference} (membership as of ${snapshot.doc.occurredAt}, after the merge: no earlier snapshot)`
          : `team ${reference} (membership snapshot of ${snapshot.doc.occurredAt})`,
        ref: snapshot.ref,
        takenAfter: snapshot.takenAfter,
      };
    },
    protectionAt(repo, atIso) {
      return snapshotAt(protectionSnapshots.get(repo), atIso);
    },
    deploymentsOf(repo) {
      return deployments.get(repo) ?? [];
    },
    deploymentsOfSha(repo, sha) {
      return bySha.get(`${repo}@${sha}`) ?? [];
    },
    contains(repo, descendant, ancestor) {
      if (descendant === ancestor) return true;
      const d = mainline.get(`${repo}@${descendant}`);
      const a = mainline.get(`${repo}@${ancestor}`);
      // On one first-parent line (the usual protected branch) order decides, without a walk.
      if (d && a && d.line === a.line) return a.depth <= d.depth;
      return ancestorsOf(repo, descendant).has(ancestor);
    },
    onDefaultBranch(repo, sha) {
      return parents.get(repo)?.has(sha) ?? false;
    },
    gapsFor(withholds, repo, during) {
      return gaps.filter(
        (gap) =>
          withholds.includes(gap.withholds) &&
          (repo === null || gap.repo === null || gap.repo === repo) &&
          gapOverlaps(gap, during),
      );
    },
    isCdkRepository(repo, atIso) {
      if (cdkRepos.has(repo) || cdkGlobs(repo) || cdkGlobs(repo.split('/')[1] ?? repo)) return true;
      const withFiles = (protectionSnapshots.get(repo) ?? []).filter(
        (item) => item.doc.data.defaultBranchFiles,
      );
      return snapshotAt(withFiles, atIso)?.doc.data.defaultBranchFiles?.cdkJsonAtRoot;
    },
    codeOwnersAt(repo, atIso) {
      const withFiles = (protectionSnapshots.get(repo) ?? []).filter(
        (item) => item.doc.data.defaultBranchFiles,
      );
      const snapshot = snapshotAt(withFiles, atIso);
      if (!snapshot) return undefined;
      const codeowners = snapshot.doc.data.defaultBranchFiles?.codeowners;
      return codeowners ? { ...codeowners, ref: snapshot.ref } : null;
    },
  };
}

/**
 * Place each default-branch commit on a first-parent line: walking first parents down from each
 * tip (newest first), a commit gets the line's id and its depth (higher = later).
 */
function firstParentLines(
  commits: readonly EvidenceItem<'branch-commit'>[],
): Map<string, { line: number; depth: number }> {
  const byKey = new Map<string, EvidenceItem<'branch-commit'>>();
  const firstParents = new Set<string>();
  for (const item of commits) {
    byKey.set(`${item.doc.repo}@${item.doc.data.commit.sha}`, item);
    const first = item.doc.data.commit.parents[0];
    if (first) firstParents.add(`${item.doc.repo}@${first}`);
  }
  const tips = [...byKey.entries()]
    .filter(([key]) => !firstParents.has(key))
    .sort(
      ([ka, a], [kb, b]) =>
        compareText(b.doc.data.commit.committedAt, a.doc.data.commit.committedAt) || compareText(ka, kb),
    );
  const placed = new Map<string, { line: number; depth: number }>();
  tips.forEach(([tipKey], line) => {
    let key: string | undefined = tipKey;
    let depth = 0;
    while (key !== undefined && !placed.has(key)) {
      const item = byKey.get(key);
      if (!item) break;
      placed.set(key, { line, depth });
      depth -= 1;
      const first = item.doc.data.commit.parents[0];
      key = first ? `${item.doc.repo}@${first}` : undefined;
    }
  });
  return placed;
}

/**
 * The one snapshot-selection rule, for team membership and branch protection alike: the latest
 * snapshot taken at or before `atIso`; when none precedes it, the earliest one after, marked
 * `takenAfter` so the verdict's reason says so (controls.md "Approvals").
 */
export function snapshotAt<T extends { readonly doc: { readonly occurredAt: string } }>(
  sorted: readonly T[] | undefined,
  atIso: string,
): (T & { readonly takenAfter: boolean }) | undefined {
  if (!sorted || sorted.length === 0) return undefined;
  const at = Date.parse(atIso);
  let chosen: T | undefined;
  for (const item of sorted) {
    if (Date.parse(item.doc.occurredAt) <= at) chosen = item;
  }
  if (chosen) return { ...chosen, takenAfter: false };
  return { ...sorted[0]!, takenAfter: true };
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list) list.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/** The production deployments of a change created in the window, up to the first that succeeded. */
export interface ShippingDeployments {
  /** Attempts to ship the change to production, oldest first. */
  readonly attempts: readonly EvidenceItem<'deployment'>[];
  /** The attempt that succeeded, if any did. */
  readonly shipped: EvidenceItem<'deployment'> | undefined;
}

/**
 * The production environment by name; another environment GitHub flags `production_environment`
 * counts too, except the staging and canary stages: a canary flagged production is still the
 * canary (controls.md "Deployments at the edges").
 */
export function isProductionDeployment(
  item: EvidenceItem<'deployment'>,
  parameters: ProfileParameters,
): boolean {
  const { environment, productionEnvironment } = item.doc.data;
  const { staging, canary, production } = parameters.environments;
  if (environment === production) return true;
  if (environment === staging || environment === canary) return false;
  return productionEnvironment;
}

export function firstStatusTime(
  item: EvidenceItem<'deployment'>,
  states: readonly string[],
): string | undefined {
  return item.doc.data.statuses
    .filter((status) => states.includes(status.state))
    .map((status) => status.createdAt)
    .sort(compareText)[0];
}

export const FAILED_STATES = ['failure', 'error'] as const;

/**
 * The production deployments (created in the window) whose SHA is the change's commit or a
 * later default-branch commit containing it, up to and including the first that succeeded.
 */
export function shippingDeployments(
  change: Change,
  facts: PeriodFacts,
  parameters: ProfileParameters,
): ShippingDeployments {
  // Several rules and the completeness report ask the same question of each change: answer once.
  const perParameters = shippingCache.get(facts) ?? new WeakMap();
  shippingCache.set(facts, perParameters);
  const perChange = perParameters.get(parameters) ?? new WeakMap<Change, ShippingDeployments>();
  perParameters.set(parameters, perChange);
  const cached = perChange.get(change);
  if (cached) return cached;
  const found = findShippingDeployments(
    change,
    facts,
    productionTimeline(facts, parameters, change.repo, 'shipping'),
  );
  perChange.set(change, found);
  return found;
}

const shippingCache = new WeakMap<
  PeriodFacts,
  WeakMap<ProfileParameters, WeakMap<Change, ShippingDeployments>>
>();
const timelineCache = new WeakMap<PeriodFacts, WeakMap<ProfileParameters, Map<string, ProductionTimeline>>>();

/**
 * Production deployments of one repository, oldest first, with parsed times: created in the
 * window, from the window's start to its settle time (`shipping`), or all loaded.
 */
export interface ProductionTimeline {
  readonly items: readonly EvidenceItem<'deployment'>[];
  readonly times: readonly number[];
}

export function productionTimeline(
  facts: PeriodFacts,
  parameters: ProfileParameters,
  repo: string,
  scope: 'window' | 'shipping' | 'all',
): ProductionTimeline {
  const perParameters = timelineCache.get(facts) ?? new WeakMap();
  timelineCache.set(facts, perParameters);
  const perRepo = perParameters.get(parameters) ?? new Map<string, ProductionTimeline>();
  perParameters.set(parameters, perRepo);
  const cacheKey = `${scope} ${repo}`;
  const cached = perRepo.get(cacheKey);
  if (cached) return cached;
  const items = facts
    .deploymentsOf(repo)
    .filter(
      (item) =>
        isProductionDeployment(item, parameters) &&
        (scope === 'all' ||
          inWindow(
            item.doc.data.createdAt,
            scope === 'window' ? facts.window : { from: facts.window.from, to: facts.settleAt },
          )),
    );
  const timeline = { items, times: items.map((item) => Date.parse(item.doc.data.createdAt)) };
  perRepo.set(cacheKey, timeline);
  return timeline;
}

function findShippingDeployments(
  change: Change,
  facts: PeriodFacts,
  timeline: ProductionTimeline,
): ShippingDeployments {
  const attempts: EvidenceItem<'deployment'>[] = [];
  if (!change.commitSha) return { attempts, shipped: undefined };
  for (let i = firstAtOrAfter(timeline, Date.parse(change.mergedAt)); i < timeline.items.length; i++) {
    const item = timeline.items[i]!;
    if (!facts.contains(change.repo, item.doc.data.sha, change.commitSha)) continue;
    attempts.push(item);
    if (firstStatusTime(item, ['success'])) return { attempts, shipped: item };
  }
  return { attempts, shipped: undefined };
}

/** Index of the first deployment created at or after `time` (binary search: the timeline is sorted). */
export function firstAtOrAfter(timeline: ProductionTimeline, time: number): number {
  let low = 0;
  let high = timeline.times.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (timeline.times[mid]! < time) low = mid + 1;
    else high = mid;
  }
  return low;
}

export function isCdAutomation(item: EvidenceItem<'deployment'>, parameters: ProfileParameters): boolean {
  const { creator, performedViaApp } = item.doc.data;
  if (parameters.cdAutomation.bots && creator?.type === 'Bot') return true;
  return performedViaApp !== null && parameters.cdAutomation.apps.includes(performedViaApp);
}
