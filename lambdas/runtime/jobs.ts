import { createGitHubClient, type GitHubClient } from '../adapters/github/client.ts';
import { openStore } from '../adapters/open-store.ts';
import { renderPack } from '../adapters/pdf/render-pack.ts';
import { type CollectionSummary, collect } from '../collect/collect.ts';
import type { CollectKind } from '../collect/context.ts';
import { resolveProfile } from '../core/profile-files.ts';
import { DEFAULT_PROFILE_ID } from '../core/shipped-profiles.ts';
import { Cm01Error } from '../errors.ts';
import type { EvidenceIndex, EvidenceStore } from '../evidence/ports.ts';
import { buildPack } from '../pack/build-pack.ts';
import { functionConfig } from './config.ts';
import { parseCollectorEvent, parseJobEvent } from './event.ts';
import { loadGitHubCredential } from './github-secret.ts';

/**
 * What every job handler shares: adapters built once per cold start (the GitHub credential is
 * read from Secrets Manager then, and only kept in memory), the event parsed and validated
 * before anything runs, typed errors out. Handlers are one line each.
 */
export interface JobDeps {
  readonly org: string;
  readonly store: EvidenceStore;
  readonly index: EvidenceIndex;
  readonly github: GitHubClient;
  /** The clock a run's window and snapshots are taken by. */
  readonly clock: () => Date;
}

/** What the repository lister needs: GitHub only, no store (its role has no store access). */
export type GitHubDeps = Pick<JobDeps, 'org' | 'github' | 'clock'>;

/** The GitHub client, with the credential read from Secrets Manager. */
async function awsGitHubDeps(): Promise<GitHubDeps> {
  const config = functionConfig();
  const auth = await loadGitHubCredential(config.githubSecretArn);
  const github = createGitHubClient({ baseUrl: config.githubApiUrl, auth });
  return { org: config.org, github, clock: () => new Date() };
}

/** Production adapters, from the function's environment and Secrets Manager. */
async function awsDeps(): Promise<JobDeps> {
  const config = functionConfig();
  const [{ store, index }, github] = await Promise.all([
    openStore(config.storeUrl, { requireImmutable: true }),
    awsGitHubDeps(),
  ]);
  return { ...github, store, index };
}

/** Build the adapters once per cold start; a failed cold start is retried on the next invocation. */
function once<T>(build: () => Promise<T>): () => Promise<T> {
  let cold: Promise<T> | undefined;
  return () => {
    cold ??= build().catch((error: unknown) => {
      cold = undefined;
      throw error;
    });
    return cold;
  };
}

const productionDeps = once(awsDeps);
const productionGitHubDeps = once(awsGitHubDeps);

/** A collection that failed for every repository: the invocation fails, so the schedule's alarm sees it. */
export class CollectionFailedError extends Cm01Error {
  override name = 'CollectionFailedError';
  constructor(summary: CollectionSummary) {
    super(
      'COLLECTION_FAILED',
      `collection ${summary.runId} failed: ${summary.errors.map((e) => e.message).join('; ')}`,
    );
  }
}

export function collectorHandler(
  kinds: readonly CollectKind[],
  deps: () => Promise<JobDeps> = productionDeps,
) {
  return async (event: unknown): Promise<CollectionSummary> => {
    const { org, store, index, github, clock } = await deps();
    const request = parseCollectorEvent(event, clock(), { org });
    const repos = request.repos;
    const summary = await collect(
      { store, index, github, org, clock },
      { window: request.window, kinds, ...(repos ? { repos } : {}) },
    );
    console.log(
      JSON.stringify({
        message: 'collection finished',
        runId: summary.runId,
        status: summary.status,
        counts: summary.counts,
        gaps: summary.gaps.length,
      }),
    );
    if (summary.status === 'failed') throw new CollectionFailedError(summary);
    return summary;
  };
}

/** The fan-out's first step: the organisation's repositories (or the event's), one item each. */
export function listRepositoriesHandler(deps: () => Promise<GitHubDeps> = productionGitHubDeps) {
  return async (event: unknown): Promise<{ repositories: string[] }> => {
    const { org, github, clock } = await deps();
    const request = parseJobEvent(event, clock(), { org });
    if (request.repos)
      return { repositories: request.repos.map((r) => (r.includes('/') ? r : `${org}/${r}`)) };
    const repos = await github.paginate<{ full_name: string; archived?: boolean }>('GET /orgs/{org}/repos', {
      org,
      per_page: 100,
    });
    return {
      repositories: repos
        .filter((r) => !r.archived)
        .map((r) => r.full_name)
        .sort(),
    };
  };
}

/**
 * The monthly pack: first re-collect the whole period (late data, every kind), then judge and
 * render, storing the pack under Object Lock in `packs/<period>/`.
 */
export function buildPackHandler(deps: () => Promise<JobDeps> = productionDeps) {
  return async (event: unknown) => {
    const { org, store, index, github, clock } = await deps();
    const request = parseJobEvent(event, clock(), { org });
    const profile = await resolveProfile(request.profile ?? DEFAULT_PROFILE_ID, 'profile');
    const collection = await collect(
      { store, index, github, org, clock },
      { window: request.window, ...(request.repos ? { repos: request.repos } : {}) },
    );
    if (collection.status === 'failed') throw new CollectionFailedError(collection);
    const pack = await buildPack(
      { store, index, render: renderPack },
      { window: request.window, profile, org },
    );
    const result = {
      period: request.window.label,
      profile: pack.model.profile.id,
      changes: pack.model.population.length,
      exceptions: pack.model.exceptions.length,
      collection: { runId: collection.runId, status: collection.status, gaps: collection.gaps.length },
      files: pack.files.map((f) => ({
        key: f.stored.key,
        versionId: f.stored.versionId,
        sha256: f.stored.sha256,
      })),
    };
    console.log(JSON.stringify({ message: 'pack built', ...result }));
    return result;
  };
}
