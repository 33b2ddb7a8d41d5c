import { expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../emulator/server.ts';
import type { World, WorldInput } from '../../emulator/world.ts';
import { createGitHubClient } from '../../lambdas/adapters/github/client.ts';
import { type CollectionSummary, collect } from '../../lambdas/collect/collect.ts';
import { monthWindow, type Window } from '../../lambdas/core/window.ts';
import { parseEvidenceDocument } from '../../lambdas/evidence/documents.ts';
import type { EvidenceIndex, EvidenceStore } from '../../lambdas/evidence/ports.ts';
import { WorldBuilder } from '../emulator/world-builder.ts';

/**
 * The nightly snapshots of branch protection and team membership, collected night after night
 * from the GitHub emulator over HTTP into a real store: a night that reads what the snapshot in
 * force says writes nothing and counts it verified unchanged; any change of protection, rulesets,
 * default-branch files or a team's members is written that night; an unchanged snapshot is
 * restated once a week old; and whenever the index cannot vouch for the stored snapshot, the
 * night's one is written. Shared by the local store and S3 (Ceph RGW) + DynamoDB Local.
 */

type RepoInput = WorldInput['repos'][number];
export type Protection = NonNullable<RepoInput['protection']>;
export type Ruleset = NonNullable<RepoInput['rulesets']>[number];

export const OCTOBER = monthWindow('2026-10');
export const TEAM_SLUGS = ['incident-commanders', 'override-approvers', 'security-champs', 'sre'] as const;

/** How the organisation is set up on one night; anything not given is the baseline. */
export interface Settings {
  readonly protection?: Protection | null;
  readonly rulesets?: readonly Ruleset[];
  readonly files?: Readonly<Record<string, string>>;
  readonly teams?: Readonly<Partial<Record<(typeof TEAM_SLUGS)[number], string[]>>>;
}

export const STRONG: Protection = {
  requiredStatusChecks: ['unit', 'e2e'],
  requiredApprovingReviewCount: 1,
  requireSignedCommits: true,
  enforceAdmins: true,
};

export const RULESET: Ruleset = {
  id: 7,
  name: 'main-rules',
  enforcement: 'active',
  target: '~DEFAULT_BRANCH',
  exclude: [],
  rules: [{ type: 'pull_request' }, { type: 'non_fast_forward' }],
  bypassActors: [{ team: 'sre', mode: 'always' }],
};

export const FILES = {
  '.github/CODEOWNERS': '/src/auth/ @acme/security-champs\n*.tf @acme/sre\n',
  'cdk.json': '{ "app": "npx tsx bin/app.ts" }\n',
};

export const TEAMS: Record<(typeof TEAM_SLUGS)[number], string[]> = {
  'incident-commanders': ['carol'],
  'override-approvers': ['erin'],
  'security-champs': ['dave'],
  sre: ['frank', 'grace'],
};

/** Pull requests merged into `api` in October, each with unit, integration, SCA and SAST passing but no e2e check. */
export const MERGES = [
  '2026-10-05T10:00:00Z',
  '2026-10-09T10:00:00Z',
  '2026-10-10T12:00:00Z',
  '2026-10-20T10:00:00Z',
] as const;

/** The organisation on one night: repositories `api` and `web`, the four teams; `settings` change `api` only. */
export function worldOf(settings: Settings = {}): World {
  const builder = new WorldBuilder({ start: '2026-09-01T00:00:00Z', now: '2026-11-01T06:00:00Z' });
  const teams = { ...TEAMS, ...settings.teams };
  for (const slug of TEAM_SLUGS) builder.team(slug, teams[slug] ?? []);
  builder.user('alice').user('bob').user('mallory');
  const api = builder.repo('api');
  if (settings.protection !== null) api.protect(settings.protection ?? STRONG);
  for (const ruleset of settings.rulesets ?? [RULESET]) api.ruleset(ruleset);
  api.input.files = { ...(settings.files ?? FILES) };
  for (const mergedAt of MERGES) {
    const pr = api.mergePullRequest({
      mergedAt,
      author: 'alice',
      reviews: [{ author: 'bob', state: 'APPROVED' }],
    });
    const startedAt = new Date(Date.parse(mergedAt) - 30 * 60_000).toISOString();
    for (const name of ['unit', 'integration', 'sca', 'sast']) api.check(pr.headSha, { name, startedAt });
  }
  const web = builder.repo('web');
  web.protect(STRONG);
  web.input.files = { ...FILES };
  return builder.build();
}

export interface Stores {
  readonly store: EvidenceStore;
  readonly index: EvidenceIndex;
}

export interface NightResult {
  readonly summary: CollectionSummary;
  /** The evidence keys (collection runs aside) that gained a version this night. */
  readonly newVersions: string[];
  /** The `counts` of the night's `collection-run` record, as stored. */
  readonly recorded: Record<string, number>;
  /** `queryRepo` calls per `kind repo` this night. */
  readonly queries: Map<string, number>;
}

/**
 * Collects organisations night after night into one store: each night a new GitHub client (a
 * new process), the source clock at 02:00 of that day, the emulator serving the night's world.
 */
export class Nights {
  private readonly emulators = new Map<string, Emulator>();
  constructor(private readonly stores: Stores) {}

  async night(
    day: string,
    settings: Settings = {},
    options: {
      kinds?: ('protection' | 'teams' | 'pull-requests' | 'commits')[];
      index?: EvidenceIndex;
      /** Default the month of `day` (a night's snapshots do not depend on it). */
      window?: Window;
    } = {},
  ): Promise<NightResult> {
    const emulator = await this.emulatorFor(settings);
    const github = createGitHubClient({
      baseUrl: emulator.url,
      auth: { kind: 'token', token: emulator.token },
    });
    const queries = new Map<string, number>();
    const index = countingQueries(options.index ?? this.stores.index, queries);
    const before = await currentVersions(this.stores.store);
    const summary = await collect(
      { store: this.stores.store, index, github, org: 'acme', clock: () => new Date(`${day}T02:00:00Z`) },
      {
        window: options.window ?? monthWindow(day.slice(0, 7)),
        kinds: options.kinds ?? ['protection', 'teams'],
      },
    );
    const after = await currentVersions(this.stores.store);
    const newVersions = [...after.entries()]
      .filter(([key, version]) => before.get(key) !== version && !key.includes('/collection-run/'))
      .map(([key]) => key)
      .sort();
    const run = await this.stores.store.get(summary.runEvidence.key, summary.runEvidence.versionId);
    const doc = parseEvidenceDocument('collection-run', JSON.parse(new TextDecoder().decode(run.body)));
    return { summary, newVersions, recorded: doc.data.counts, queries };
  }

  async close(): Promise<void> {
    await Promise.all([...this.emulators.values()].map((emulator) => emulator.close()));
  }

  private async emulatorFor(settings: Settings): Promise<Emulator> {
    const key = JSON.stringify(settings);
    let emulator = this.emulators.get(key);
    if (!emulator) {
      emulator = await startEmulator({ world: worldOf(settings) });
      this.emulators.set(key, emulator);
    }
    return emulator;
  }
}

async function currentVersions(store: EvidenceStore): Promise<Map<string, string>> {
  return new Map(
    (await store.listCurrentVersions('evidence/acme/')).map((current) => [current.key, current.versionId]),
  );
}

/** The real index, with its `queryRepo` calls counted (the check must cost one query per kind and scope). */
function countingQueries(index: EvidenceIndex, queries: Map<string, number>): EvidenceIndex {
  return new Proxy(index, {
    get(target, property, receiver) {
      if (property === 'queryRepo') {
        return (repo: string, options?: { kind?: string }) => {
          const key = `${options?.kind ?? '*'} ${repo}`;
          queries.set(key, (queries.get(key) ?? 0) + 1);
          return target.queryRepo(repo, options as Parameters<EvidenceIndex['queryRepo']>[1]);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export const protectionKey = (repo: string, day: string) =>
  `evidence/acme/${repo}/branch-protection/${day.slice(0, 4)}/${day.slice(5, 7)}/${day}.json`;
export const teamKey = (slug: string, day: string) =>
  `evidence/acme/_org/team-membership/${day.slice(0, 4)}/${day.slice(5, 7)}/${slug}_${day}.json`;
const allTeamKeys = (day: string) => TEAM_SLUGS.map((slug) => teamKey(slug, day));

/**
 * The cases every store must pass. `open` gives a fresh, empty store and index for each case;
 * `emptyIndexOver` an empty index over the same bucket (an index lost or not yet rebuilt).
 */
export function datedSnapshotCases(
  open: () => Promise<Stores & { emptyIndexOver(): Promise<EvidenceIndex> }>,
  options: { readonly everyChange: boolean } = { everyChange: true },
): void {
  const withNights = async (
    body: (nights: Nights, stores: Awaited<ReturnType<typeof open>>) => Promise<void>,
  ) => {
    const stores = await open();
    const nights = new Nights(stores);
    try {
      await body(nights, stores);
    } finally {
      await nights.close();
    }
  };

  it('writes no snapshot the night after, when nothing changed, and its run record counts each one verified unchanged', async () => {
    await withNights(async (nights) => {
      const first = await nights.night('2026-10-01');
      expect(first.newVersions).toEqual(
        [
          protectionKey('api', '2026-10-01'),
          protectionKey('web', '2026-10-01'),
          ...allTeamKeys('2026-10-01'),
        ].sort(),
      );
      expect(first.summary.counts).toEqual({ 'branch-protection': 2, 'team-membership': 4 });

      const second = await nights.night('2026-10-02');
      expect(second.newVersions).toEqual([]);
      expect(second.summary.counts).toEqual({});
      expect(second.summary.unchanged).toEqual({ 'branch-protection': 2, 'team-membership': 4 });
      // What an auditor reads in the night's stored record: every snapshot verified, none written.
      expect(second.recorded).toMatchObject({
        'branch-protection.written': 0,
        'branch-protection.unchanged': 2,
        'team-membership.written': 0,
        'team-membership.unchanged': 4,
      });
      // The check costs one index query per repository for protection and one for all the teams.
      expect(Object.fromEntries(second.queries)).toEqual({
        'branch-protection acme/api': 1,
        'branch-protection acme/web': 1,
        'team-membership acme': 1,
      });
    });
  });

  const changes: { readonly what: string; readonly settings: Settings; readonly everyStore?: true }[] = [
    {
      what: 'a required check dropped from branch protection',
      settings: { protection: { ...STRONG, requiredStatusChecks: ['unit'] } },
      everyStore: true,
    },
    { what: 'branch protection removed', settings: { protection: null } },
    {
      what: 'the required approvals lowered',
      settings: { protection: { ...STRONG, requiredApprovingReviewCount: 0 } },
    },
    {
      what: 'signed commits no longer required',
      settings: { protection: { ...STRONG, requireSignedCommits: false } },
    },
    {
      what: 'a ruleset set to evaluate only',
      settings: { rulesets: [{ ...RULESET, enforcement: 'evaluate' }] },
    },
    {
      what: 'a rule removed from a ruleset',
      settings: { rulesets: [{ ...RULESET, rules: [{ type: 'pull_request' }] }] },
    },
    {
      what: 'a bypass actor added to a ruleset',
      settings: {
        rulesets: [
          {
            ...RULESET,
            bypassActors: [...(RULESET.bypassActors ?? []), { login: 'mallory', mode: 'always' }],
          },
        ],
      },
    },
    {
      what: 'CODEOWNERS changed on the default branch',
      settings: { files: { ...FILES, '.github/CODEOWNERS': '*.tf @acme/sre\n' } },
      everyStore: true,
    },
    {
      what: 'cdk.json removed from the default branch',
      settings: { files: { '.github/CODEOWNERS': FILES['.github/CODEOWNERS'] } },
    },
  ];
  for (const change of changes.filter((c) => options.everyChange || c.everyStore)) {
    it(`writes the next night's protection snapshot when ${change.what}`, async () => {
      await withNights(async (nights) => {
        await nights.night('2026-10-01');
        const second = await nights.night('2026-10-02', change.settings);
        expect(second.newVersions).toEqual([protectionKey('api', '2026-10-02')]);
        expect(second.summary.counts).toEqual({ 'branch-protection': 1 });
        expect(second.summary.unchanged).toEqual({ 'branch-protection': 1, 'team-membership': 4 });
        // Changed back the night after: that is a change too.
        const third = await nights.night('2026-10-03');
        expect(third.newVersions).toEqual([protectionKey('api', '2026-10-03')]);
      });
    });
  }

  const teamChanges: { readonly what: string; readonly teams: Settings['teams']; readonly slug: string }[] = [
    { what: 'a member left the SRE team', teams: { sre: ['frank'] }, slug: 'sre' },
    {
      what: 'a member joined the Security Champs',
      teams: { 'security-champs': ['dave', 'mallory'] },
      slug: 'security-champs',
    },
    {
      what: 'one override approver replaced by another',
      teams: { 'override-approvers': ['mallory'] },
      slug: 'override-approvers',
    },
  ];
  for (const change of teamChanges.filter((_, i) => options.everyChange || i === 0)) {
    it(`writes the next night's snapshot of that team alone when ${change.what}`, async () => {
      await withNights(async (nights) => {
        await nights.night('2026-10-01');
        const second = await nights.night('2026-10-02', { teams: change.teams });
        expect(second.newVersions).toEqual([teamKey(change.slug, '2026-10-02')]);
        expect(second.summary.counts).toEqual({ 'team-membership': 1 });
        expect(second.summary.unchanged).toEqual({ 'branch-protection': 2, 'team-membership': 3 });
      });
    });
  }

  it('restates an unchanged snapshot once it is a week old', async () => {
    await withNights(async (nights) => {
      await nights.night('2026-10-01');
      // Six days on (nights missed in between): still in force, nothing written.
      expect((await nights.night('2026-10-07')).newVersions).toEqual([]);
      // Seven days on: restated, under the new day.
      const week = await nights.night('2026-10-08');
      expect(week.newVersions).toEqual(
        [
          protectionKey('api', '2026-10-08'),
          protectionKey('web', '2026-10-08'),
          ...allTeamKeys('2026-10-08'),
        ].sort(),
      );
      expect(week.summary.unchanged).toEqual({});
      // Eight days after that restatement, nothing changed in between: restated again.
      const later = await nights.night('2026-10-16');
      expect(later.newVersions).toEqual(
        [
          protectionKey('api', '2026-10-16'),
          protectionKey('web', '2026-10-16'),
          ...allTeamKeys('2026-10-16'),
        ].sort(),
      );
    });
  });

  it('writes the snapshot when the index holds no row of the stored one (lost, or not yet rebuilt)', async () => {
    await withNights(async (nights, stores) => {
      await nights.night('2026-10-01');
      const second = await nights.night('2026-10-02', {}, { index: await stores.emptyIndexOver() });
      expect(second.newVersions).toEqual(
        [
          protectionKey('api', '2026-10-02'),
          protectionKey('web', '2026-10-02'),
          ...allTeamKeys('2026-10-02'),
        ].sort(),
      );
      expect(second.summary.status).toBe('succeeded');
    });
  });

  it('writes the snapshot when the index row claims content the bucket does not hold', async () => {
    await withNights(async (nights, stores) => {
      const weakened: Settings = { protection: { ...STRONG, requiredStatusChecks: ['unit'] } };
      // The hash a weakened snapshot of 1 October has, read in a scratch store.
      const scratch = await open();
      const scratchNights = new Nights(scratch);
      let weakenedHash: string;
      try {
        await scratchNights.night('2026-10-01', weakened);
        const [row] = await scratch.index.queryRepo('acme/api', { kind: 'branch-protection' });
        weakenedHash = row!.contentHash;
      } finally {
        await scratchNights.close();
      }
      await nights.night('2026-10-01');
      const [stored] = await stores.index.queryRepo('acme/api', { kind: 'branch-protection' });
      // Someone with write access to the index makes the strong snapshot's row claim the weakened content.
      await stores.index.put([{ ...stored!, contentHash: weakenedHash }]);

      const second = await nights.night('2026-10-02', weakened);
      expect(second.newVersions).toEqual([protectionKey('api', '2026-10-02')]);
    });
  });

  it('writes every snapshot when the index cannot be queried, and still succeeds', async () => {
    await withNights(async (nights, stores) => {
      await nights.night('2026-10-01');
      // The one fault no real index shows on demand: queries refused while writes still land.
      const refusing = new Proxy(stores.index, {
        get(target, property, receiver) {
          if (property === 'queryRepo')
            return () => Promise.reject(new Error('ProvisionedThroughputExceededException'));
          const value = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const second = await nights.night('2026-10-02', {}, { index: refusing });
      expect(second.summary.counts).toEqual({ 'branch-protection': 2, 'team-membership': 4 });
      expect(second.newVersions).toHaveLength(6);
    });
  });
}
