import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultPlan } from '../../emulator/limits.ts';
import { type Emulator, startEmulator } from '../../emulator/server.ts';
import type { World } from '../../emulator/world.ts';
import { createGitHubClient, type GitHubClient } from '../../lambdas/adapters/github/client.ts';
import { LocalEvidenceIndex } from '../../lambdas/adapters/local-index.ts';
import { LocalEvidenceStore } from '../../lambdas/adapters/local-store.ts';
import type { CollectContext, RepoRef } from '../../lambdas/collect/context.ts';
import type { DocumentKind, EvidenceDocument, Gap } from '../../lambdas/evidence/documents.ts';
import { parseEvidenceDocument } from '../../lambdas/evidence/documents.ts';
import type { EvidenceIndex, EvidenceKind, EvidenceStore, IndexEntry } from '../../lambdas/evidence/ports.ts';
import { TOOL_ID } from '../../lambdas/version.ts';

/**
 * The collectors' test bed: a world served by the real GitHub emulator over HTTP, the real
 * GitHub client, and a local evidence store in a temporary directory.
 */
export interface CollectBed {
  readonly emulator: Emulator;
  readonly github: GitHubClient;
  readonly store: EvidenceStore;
  readonly index: EvidenceIndex;
  readonly dir: string;
  readonly now: Date;
  readonly gaps: Gap[];
  readonly counts: Map<string, { written: number; unchanged: number }>;
  context(): Promise<CollectContext>;
  repo(name: string, defaultBranch?: string): RepoRef;
  /** A fresh store and index on the same directory (what a second process would see). */
  reopen(): { store: EvidenceStore; index: EvidenceIndex };
  documents<K extends DocumentKind>(kind: K): Promise<Map<string, EvidenceDocument<K>>>;
  entries(kind: EvidenceKind): Promise<IndexEntry[]>;
  close(): Promise<void>;
}

export async function openCollectBed(
  world: World,
  options: { faults?: FaultPlan; token?: string; dir?: string; graphqlTimeoutNodes?: number } = {},
): Promise<CollectBed> {
  const emulator = await startEmulator({
    world,
    port: 0,
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.graphqlTimeoutNodes !== undefined
      ? { graphqlTimeoutNodes: options.graphqlTimeoutNodes }
      : {}),
  });
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'cm01-collect-')));
  const github = createGitHubClient({
    baseUrl: emulator.url,
    auth: { kind: 'token', token: options.token ?? emulator.token },
    retries: 5,
    retryAfterBaseMs: 5,
  });
  const store = new LocalEvidenceStore({ dir, defaultRetentionDays: 365 });
  const index = new LocalEvidenceIndex({ dir });
  const now = new Date(world.now);
  const gaps: Gap[] = [];
  const counts = new Map<string, { written: number; unchanged: number }>();
  const bed: CollectBed = {
    emulator,
    github,
    store,
    index,
    dir,
    now,
    gaps,
    counts,
    async context() {
      return {
        store,
        index,
        github,
        org: world.org,
        clock: () => now,
        toolVersion: TOOL_ID,
        tokenIdentity: await github.identity(),
        recordGap: (gap) => gaps.push({ ...gap, window: gap.window ?? null }),
        count: (kind, written) => {
          const entry = counts.get(kind) ?? { written: 0, unchanged: 0 };
          if (written) entry.written += 1;
          else entry.unchanged += 1;
          counts.set(kind, entry);
        },
        progress: () => {},
      };
    },
    repo(name, defaultBranch = 'main') {
      return { owner: world.org, name, fullName: `${world.org}/${name}`, defaultBranch };
    },
    reopen() {
      return {
        store: new LocalEvidenceStore({ dir, defaultRetentionDays: 365 }),
        index: new LocalEvidenceIndex({ dir }),
      };
    },
    async documents<K extends DocumentKind>(kind: K) {
      const docs = new Map<string, EvidenceDocument<K>>();
      for (const entry of await bed.entries(kind)) {
        const { body } = await store.get(entry.key);
        const doc = parseEvidenceDocument(kind, JSON.parse(new TextDecoder().decode(body)));
        docs.set(`${doc.repo}#${doc.itemId}`, doc);
      }
      return docs;
    },
    async entries(kind) {
      const all: IndexEntry[] = [];
      for (const repo of world.repos)
        all.push(...(await index.queryRepo(`${world.org}/${repo.name}`, { kind })));
      all.push(...(await index.queryRepo(world.org, { kind })));
      return all.sort((a, b) => `${a.repo}#${a.itemId}`.localeCompare(`${b.repo}#${b.itemId}`));
    },
    async close() {
      await emulator.close();
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
  return bed;
}

/** `repo#itemId → contentHash` of every entry of the given kinds: what "the same evidence" means. */
export async function evidenceFingerprint(
  index: EvidenceIndex,
  repos: readonly string[],
  kinds: readonly EvidenceKind[],
): Promise<Record<string, string>> {
  const fingerprint: Record<string, string> = {};
  for (const repo of repos) {
    for (const kind of kinds) {
      for (const entry of await index.queryRepo(repo, { kind })) {
        fingerprint[`${entry.kind}:${entry.repo}#${entry.itemId}`] = entry.contentHash;
      }
    }
  }
  return fingerprint;
}
