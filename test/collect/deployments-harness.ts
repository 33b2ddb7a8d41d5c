import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultPlan } from '../../emulator/limits.ts';
import { type Emulator, startEmulator } from '../../emulator/server.ts';
import { parseWorld, type WorldInput } from '../../emulator/world.ts';
import { createGitHubClient } from '../../lambdas/adapters/github/client.ts';
import { LocalEvidenceIndex } from '../../lambdas/adapters/local-index.ts';
import { LocalEvidenceStore } from '../../lambdas/adapters/local-store.ts';
import type { CollectContext } from '../../lambdas/collect/context.ts';
import type { DocumentKind, Gap } from '../../lambdas/evidence/documents.ts';
import { parseEvidenceDocument } from '../../lambdas/evidence/documents.ts';
import type { EvidenceIndex, EvidenceStore } from '../../lambdas/evidence/ports.ts';
import { TOOL_ID } from '../../lambdas/version.ts';

/**
 * Shared by the deployment, override and emergency-trail tests: a world served by the real
 * GitHub emulator over HTTP, the real GitHub client, and a local evidence store in a temp dir.
 */

/** A deterministic 40-hex SHA named by a seed, so worlds read like prose. */
export function shaOf(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

export const ORG = 'acme';
export const REPO = 'api';
export const FULL_NAME = `${ORG}/${REPO}`;

/** A world of one repository whose default branch `main` holds `commits` (first = root). */
export function worldWith(fields: {
  now: string;
  plan?: 'enterprise' | 'team' | 'free';
  commits?: WorldInput['repos'][number]['commits'];
  repo?: Partial<WorldInput['repos'][number]>;
  auditLog?: WorldInput['auditLog'];
}): WorldInput {
  const commits = fields.commits ?? [
    {
      sha: shaOf('root'),
      parents: [],
      message: 'Initial commit',
      author: 'alice',
      committer: 'alice',
      authoredAt: '2026-09-01T00:00:00Z',
      committedAt: '2026-09-01T00:00:00Z',
    },
  ];
  const head = commits.at(-1)?.sha ?? shaOf('root');
  return {
    format: 'github-world/1',
    org: ORG,
    plan: fields.plan ?? 'enterprise',
    now: fields.now,
    users: [
      { login: 'alice' },
      { login: 'bob' },
      { login: 'dave' },
      { login: 'erin' },
      { login: 'deploy-bot', type: 'Bot' },
    ],
    teams: {},
    repos: [{ name: REPO, defaultBranch: 'main', branches: { main: head }, commits, ...fields.repo }],
    auditLog: fields.auditLog ?? [],
  };
}

export interface Harness {
  readonly ctx: CollectContext;
  readonly store: EvidenceStore;
  readonly index: EvidenceIndex;
  readonly emulator: Emulator;
  readonly gaps: Gap[];
  readonly counts: Record<string, { written: number; unchanged: number }>;
  /** The current version of every stored document of a kind in one repository (default `api`), by itemId. */
  documents<K extends DocumentKind>(
    kind: K,
    repoName?: string,
  ): Promise<Map<string, ReturnType<typeof parseEvidenceDocument<K>>>>;
  close(): Promise<void>;
}

/** Open a store (a fresh temp dir unless `dir` is given) and an emulator serving `world`. */
export async function openHarness(
  world: WorldInput,
  options: { dir?: string; faults?: FaultPlan } = {},
): Promise<Harness & { readonly dir: string }> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'cm01-deploy-')));
  const parsed = parseWorld(world);
  const emulator = await startEmulator({
    world: parsed,
    port: 0,
    ...(options.faults ? { faults: options.faults } : {}),
  });
  const github = createGitHubClient({
    baseUrl: emulator.url,
    auth: { kind: 'token', token: 'emulator-token' },
    retries: 5,
    retryAfterBaseMs: 5,
  });
  const store = new LocalEvidenceStore({ dir });
  const index = new LocalEvidenceIndex({ dir });
  await index.check();
  const gaps: Gap[] = [];
  const counts: Record<string, { written: number; unchanged: number }> = {};
  const ctx: CollectContext = {
    store,
    index,
    github,
    org: ORG,
    clock: () => new Date(parsed.now),
    toolVersion: TOOL_ID,
    tokenIdentity: await github.identity(),
    recordGap: (gap) => gaps.push({ ...gap, window: gap.window ?? null }),
    count: (kind, written) => {
      const tally = counts[kind] ?? { written: 0, unchanged: 0 };
      if (written) tally.written += 1;
      else tally.unchanged += 1;
      counts[kind] = tally;
    },
    progress: () => {},
  };
  return {
    dir,
    ctx,
    store,
    index,
    emulator,
    gaps,
    counts,
    async documents<K extends DocumentKind>(kind: K, repoName = REPO) {
      const docs = new Map<string, ReturnType<typeof parseEvidenceDocument<K>>>();
      for (const key of await store.listKeys(`evidence/${ORG}/${repoName}/${kind}/`)) {
        const { body } = await store.get(key);
        const doc = parseEvidenceDocument(kind, JSON.parse(new TextDecoder().decode(body)));
        docs.set(doc.itemId, doc);
      }
      return docs;
    },
    async close() {
      await emulator.close();
    },
  };
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/**
 * Run the same collection against the same world twice, once through injected faults, and
 * return both runs' `itemId:contentHash` lists of one evidence kind, plus the request counts.
 */
export async function collectCleanAndFaulty(
  world: WorldInput,
  faults: FaultPlan,
  kind: DocumentKind,
  collect: (ctx: CollectContext) => Promise<unknown>,
): Promise<{ clean: string[]; faulty: string[]; cleanRequests: number; faultyRequests: number }> {
  const clean = await openHarness(world);
  const faulty = await openHarness(world, { faults });
  try {
    await collect(clean.ctx);
    await collect(faulty.ctx);
    const hashes = async (h: Harness) =>
      (await h.index.queryRepo(FULL_NAME, { kind })).map((r) => `${r.itemId}:${r.contentHash}`).sort();
    return {
      clean: await hashes(clean),
      faulty: await hashes(faulty),
      cleanRequests: clean.emulator.stats().requests,
      faultyRequests: faulty.emulator.stats().requests,
    };
  } finally {
    await clean.close();
    await faulty.close();
    await removeDir(clean.dir);
    await removeDir(faulty.dir);
  }
}
