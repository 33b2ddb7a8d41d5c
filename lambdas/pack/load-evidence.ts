import type { EvidenceItem, PeriodEvidence, StoredManifestEntry } from '../core/period-evidence.ts';
import { compareText } from '../core/population.ts';
import { DEFAULT_PIPELINE_LOOKBACK_DAYS, settleTimeOf } from '../core/settle.ts';
import { inWindow, periodsOf, type Window } from '../core/window.ts';
import { describeError, InputError, StoreError } from '../errors.ts';
import { sha256Hex } from '../evidence/canonical-json.ts';
import { type DocumentKind, parseEvidenceDocument } from '../evidence/documents.ts';
import type { EvidenceIndex, EvidenceStore, IndexEntry } from '../evidence/ports.ts';

const DAY_MS = 86_400_000;
/** Reads in flight at once: enough to hide S3 latency, few enough for a Lambda's sockets. */
const READ_CONCURRENCY = 16;

/**
 * Snapshots (team membership, branch protection) and collector runs are often taken after the
 * period they describe (the pack runs after the settle time, the 3rd); look this far around the window for them.
 */
const SNAPSHOT_SPAN_MS = 31 * DAY_MS;

export interface LoadedPeriodEvidence {
  readonly evidence: PeriodEvidence;
  /** Every evidence object read, sorted by key and version. */
  readonly manifest: readonly StoredManifestEntry[];
  /** The organisation the evidence belongs to (none when nothing was found). */
  readonly orgs: readonly string[];
}

interface KindPlan {
  readonly kind: DocumentKind;
  readonly span: { readonly from: string; readonly to: string };
  /** Keep an index entry (decided on the index row, so unneeded objects are never read). */
  readonly keep: (entry: IndexEntry) => boolean;
}

/**
 * Read the evidence a window needs: one index `Query` per kind and per month the (widened)
 * window touches, then each object by its exact version, checked against the SHA-256 the index
 * recorded, and parsed into typed documents.
 */
export async function loadPeriodEvidence(
  store: EvidenceStore,
  index: EvidenceIndex,
  window: Pick<Window, 'from' | 'to'>,
  options: {
    readonly org?: string;
    /** Staging/canary look-back before the window (days; the profile's `pipelineLookbackDays`). */
    readonly pipelineLookbackDays?: number;
    /** Deployments up to this moment after the window ship its changes; default its settle time. */
    readonly settleAt?: string;
  } = {},
): Promise<LoadedPeriodEvidence> {
  const from = Date.parse(window.from);
  const to = Date.parse(window.to);
  const iso = (t: number) => new Date(t).toISOString();
  const within = (span: { from: string; to: string }) => (entry: IndexEntry) =>
    inWindow(entry.occurredAt, span);
  const snapshotSpan = { from: iso(from - SNAPSHOT_SPAN_MS), to: iso(to + SNAPSHOT_SPAN_MS) };
  // Deployments from the staging/canary look-back before the window (and the previous good SHA
  // of an early rollback) to the settle time after it (a change merged on the 31st, deployed on the 1st).
  const lookbackMs = (options.pipelineLookbackDays ?? DEFAULT_PIPELINE_LOOKBACK_DAYS) * DAY_MS;
  const deploymentSpan = { from: iso(from - lookbackMs), to: options.settleAt ?? settleTimeOf(window) };
  const runSpan = { from: window.from, to: snapshotSpan.to };
  const plans: KindPlan[] = [
    { kind: 'pull-request', span: window, keep: within(window) },
    { kind: 'branch-commit', span: window, keep: within(window) },
    { kind: 'deployment', span: deploymentSpan, keep: within(deploymentSpan) },
    { kind: 'override', span: window, keep: within(window) },
    { kind: 'branch-protection', span: snapshotSpan, keep: within(snapshotSpan) },
    { kind: 'team-membership', span: snapshotSpan, keep: within(snapshotSpan) },
    { kind: 'collection-run', span: runSpan, keep: within(runSpan) },
  ];

  const entries = await Promise.all(
    plans.map(async (plan) => {
      const rows = (
        await Promise.all(periodsOf(plan.span).map((period) => index.queryPeriod(plan.kind, period)))
      ).flat();
      return { plan, rows: dedupe(rows.filter(plan.keep)) };
    }),
  );
  // The organisation is decided on the index rows, so no other organisation's object is read.
  const orgs = [...new Set(entries.flatMap(({ rows }) => rows.map((row) => orgOf(row.repo))))].sort();
  const org = options.org ?? (orgs.length > 1 ? undefined : orgs[0]);
  if (org === undefined && orgs.length > 1) {
    throw new InputError(
      '--org',
      `the store holds evidence of several organisations (${orgs.join(', ')}): name one`,
    );
  }
  for (const entry of entries) entry.rows = entry.rows.filter((row) => orgOf(row.repo) === org);

  const reads = entries.flatMap(({ plan, rows }) => rows.map((entry) => ({ kind: plan.kind, entry })));
  const loaded = await mapWithConcurrency(reads, READ_CONCURRENCY, ({ kind, entry }) =>
    readDocument(store, kind, entry),
  );

  const byKind = new Map<
    DocumentKind,
    { item: EvidenceItem<DocumentKind>; manifest: StoredManifestEntry }[]
  >();
  for (const one of loaded) {
    const list = byKind.get(one.item.doc.kind) ?? [];
    list.push(one);
    byKind.set(one.item.doc.kind, list);
  }
  const itemsOf = <K extends DocumentKind>(kind: K): EvidenceItem<K>[] =>
    (byKind.get(kind) ?? [])
      .map((one) => one.item as EvidenceItem<K>)
      .sort((a, b) => compareText(a.ref.key, b.ref.key) || compareText(a.ref.versionId, b.ref.versionId));

  const runs = itemsOf('collection-run').filter(
    (run) => Date.parse(run.doc.data.window.from) < to && Date.parse(run.doc.data.window.to) > from,
  );
  const evidence: PeriodEvidence = {
    pullRequests: itemsOf('pull-request'),
    branchCommits: itemsOf('branch-commit'),
    deployments: itemsOf('deployment'),
    overrides: itemsOf('override'),
    branchProtection: itemsOf('branch-protection'),
    teams: itemsOf('team-membership'),
    runs,
  };
  const usedRuns = new Set(runs.map((run) => run.ref.key));
  const manifest = loaded
    .filter((one) => one.item.doc.kind !== 'collection-run' || usedRuns.has(one.item.ref.key))
    .map((one) => one.manifest)
    .sort((a, b) => compareText(a.key, b.key) || compareText(a.versionId, b.versionId));
  return { evidence, manifest, orgs: org === undefined ? [] : [org] };
}

async function readDocument(
  store: EvidenceStore,
  kind: DocumentKind,
  entry: IndexEntry,
): Promise<{ item: EvidenceItem<DocumentKind>; manifest: StoredManifestEntry }> {
  const { body, object } = await store.get(entry.key, entry.versionId);
  const actual = sha256Hex(body);
  if (actual !== entry.sha256) {
    throw new StoreError(
      `evidence object ${entry.key} (version ${entry.versionId}) does not match the SHA-256 the index recorded: ` +
        `expected ${entry.sha256}, read ${actual}`,
    );
  }
  let doc: EvidenceItem<DocumentKind>['doc'];
  try {
    doc = parseEvidenceDocument(kind, JSON.parse(new TextDecoder().decode(body)));
  } catch (error: unknown) {
    throw new StoreError(
      `evidence object ${entry.key} (version ${entry.versionId}) is not a valid ${kind} document: ${describeError(error)}`,
      { cause: error },
    );
  }
  return {
    item: { doc, ref: { key: entry.key, versionId: entry.versionId } },
    manifest: {
      key: entry.key,
      versionId: entry.versionId,
      sha256: entry.sha256,
      retainUntil: object.retainUntil,
      writtenAt: object.lastModified,
    },
  };
}

function dedupe(rows: readonly IndexEntry[]): IndexEntry[] {
  const seen = new Map<string, IndexEntry>();
  for (const row of rows) seen.set(`${row.key}\u0000${row.versionId}`, row);
  return [...seen.values()];
}

async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** `org` of an index row's `org/name` (or `org` for organisation-wide evidence). */
function orgOf(repo: string): string {
  return repo.split('/', 1)[0] as string;
}
