import type { IndexCrossCheck, IndexCrossCheckFinding } from '../core/pack-model.ts';
import type { EvidenceItem, PeriodEvidence, StoredManifestEntry } from '../core/period-evidence.ts';
import { compareText } from '../core/population.ts';
import { DEFAULT_PIPELINE_LOOKBACK_DAYS, settleTimeOf } from '../core/settle.ts';
import { inWindow, periodsOf, type Window } from '../core/window.ts';
import { describeError, InputError, StoreError } from '../errors.ts';
import { sha256Hex } from '../evidence/canonical-json.ts';
import { type DocumentKind, parseStoredEvidenceDocument } from '../evidence/documents.ts';
import type { CurrentVersion, EvidenceIndex, EvidenceStore, IndexEntry } from '../evidence/ports.ts';
import { readStoredEvidence } from '../evidence/record.ts';
import { SNAPSHOT_LOOKBACK_DAYS } from '../evidence/snapshot-cadence.ts';

const DAY_MS = 86_400_000;
const UTF8 = new TextDecoder();
/**
 * Reads in flight at once: enough to hide S3 latency (a 10,000-change month is 60,000 GETs),
 * within the S3 client's default 50 sockets and well within a Lambda's file descriptors.
 */
const READ_CONCURRENCY = 48;

/**
 * Snapshots (team membership, branch protection) and collector runs are often taken after the
 * period they describe (the pack runs after the settle time, the 3rd); look this far around the
 * window for them. Before the window, far enough to find the snapshot in force at its start: an
 * unchanged snapshot is restated only weekly (see evidence/snapshot-cadence.ts).
 */
const SNAPSHOT_SPAN_MS = SNAPSHOT_LOOKBACK_DAYS * DAY_MS;

export interface LoadedPeriodEvidence {
  readonly evidence: PeriodEvidence;
  /** Every evidence object read, sorted by key and version. */
  readonly manifest: readonly StoredManifestEntry[];
  /** The organisation the evidence belongs to (none when nothing was found). */
  readonly orgs: readonly string[];
  /** The index compared with a listing of the bucket's prefixes for the window. */
  readonly indexCrossCheck: IndexCrossCheck;
}

/** Evidence kept once per organisation, under `evidence/<org>/_org/`; the others are per repository. */
const ORGANISATION_KINDS: ReadonlySet<DocumentKind> = new Set(['team-membership', 'collection-run']);
const ORGANISATION_FOLDER = '_org';

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
 *
 * The index is a cache; the bucket is the truth. The same kinds and months are listed in the
 * bucket (one paged listing per kind, repository and month prefix), and what the index lacks is
 * read anyway: an object without a row, or a current version newer than the row's, is read at
 * its current version and used; a row whose object version is gone is not. Each is named in
 * `indexCrossCheck`, so the pack says how far the index could be trusted.
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
    { kind: 'linear-ticket', span: snapshotSpan, keep: within(snapshotSpan) },
    { kind: 'incident', span: window, keep: within(window) },
    { kind: 'on-call', span: snapshotSpan, keep: within(snapshotSpan) },
    { kind: 'collection-run', span: runSpan, keep: within(runSpan) },
  ];

  const queried = await Promise.all(
    plans.map(async (plan) => ({
      plan,
      // Every row of the months, in or out of the window: the cross-check compares whole months.
      monthRows: dedupe(
        (
          await Promise.all(periodsOf(plan.span).map((period) => index.queryPeriod(plan.kind, period)))
        ).flat(),
      ),
    })),
  );
  // The organisation is decided on the index rows, so no other organisation's object is read.
  const orgs = [
    ...new Set(
      queried.flatMap(({ plan, monthRows }) => monthRows.filter(plan.keep).map((row) => orgOf(row.repo))),
    ),
  ].sort();
  if (options.org === undefined && orgs.length > 1) {
    throw new InputError(
      '--org',
      `the store holds evidence of several organisations (${orgs.join(', ')}): name one`,
    );
  }
  const org = options.org ?? orgs[0] ?? (await onlyOrganisationInBucket(store));
  if (org === undefined) {
    return {
      evidence: EMPTY_EVIDENCE,
      manifest: [],
      orgs: [],
      indexCrossCheck: { prefixesListed: 0, objectsListed: 0, findings: [] },
    };
  }
  if (!SAFE_SEGMENT.test(org)) throw new InputError('--org', `"${org}" is not an organisation name`);

  const listed = await listPeriodPrefixes(store, org, plans);
  const findings: IndexCrossCheckFinding[] = [];
  const reads: Read[] = [];
  // One read per key: two rows naming one key (only a tampered index has them) never count twice.
  const queuedKeys = new Set<string>();
  const queue = (read: Read) => {
    if (queuedKeys.has(read.key)) return;
    queuedKeys.add(read.key);
    reads.push(read);
  };
  for (const { plan, monthRows } of queried) {
    const rows = monthRows.filter((row) => orgOf(row.repo) === org);
    const current = listed.byKind.get(plan.kind) ?? new Map<string, string>();
    const indexedKeys = new Set<string>();
    for (const row of rows) {
      indexedKeys.add(row.key);
      const currentVersion = current.get(row.key);
      if (currentVersion !== undefined && currentVersion !== row.versionId) {
        queue({ plan, key: row.key, versionId: currentVersion, indexed: row });
        continue;
      }
      if (!plan.keep(row)) continue;
      if (currentVersion === undefined && !(await store.head(row.key, row.versionId))) {
        findings.push({
          finding: 'missing-from-bucket',
          key: row.key,
          usedVersionId: null,
          indexedVersionId: row.versionId,
          note: 'the index names this object version; the bucket does not hold it — not used',
        });
        continue;
      }
      queue({ plan, key: row.key, versionId: row.versionId, indexed: row, trusted: true });
    }
    for (const [key, versionId] of current) {
      if (!indexedKeys.has(key)) queue({ plan, key, versionId });
    }
  }

  const shared = new SharedText();
  const outcomes = await mapInFlight(reads, READ_CONCURRENCY, async (read) => {
    const outcome = await readListed(store, read);
    if (outcome.loaded) shareRepeatedText(outcome.loaded.item.doc, shared);
    return outcome;
  });
  const loaded: { item: EvidenceItem<DocumentKind>; manifest: StoredManifestEntry }[] = [];
  for (const outcome of outcomes) {
    if (outcome.finding) findings.push(outcome.finding);
    if (outcome.loaded) loaded.push(outcome.loaded);
  }

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
    linearTickets: itemsOf('linear-ticket'),
    incidents: itemsOf('incident'),
    onCall: itemsOf('on-call'),
    runs,
  };
  const usedRuns = new Set(runs.map((run) => run.ref.key));
  const manifest = loaded
    .filter((one) => one.item.doc.kind !== 'collection-run' || usedRuns.has(one.item.ref.key))
    .map((one) => one.manifest)
    .sort((a, b) => compareText(a.key, b.key) || compareText(a.versionId, b.versionId));
  const used = new Set(manifest.map((entry) => entry.key));
  const indexCrossCheck: IndexCrossCheck = {
    prefixesListed: listed.prefixes,
    objectsListed: [...listed.byKind.values()].reduce((sum, keys) => sum + keys.size, 0),
    // A run read only to be dropped (its window misses this one) is not evidence of this pack.
    findings: findings
      .filter((finding) => finding.usedVersionId === null || used.has(finding.key))
      .sort((a, b) => compareText(a.key, b.key) || compareText(a.finding, b.finding)),
  };
  return { evidence, manifest, orgs: [org], indexCrossCheck };
}

const EMPTY_EVIDENCE: PeriodEvidence = {
  pullRequests: [],
  branchCommits: [],
  deployments: [],
  overrides: [],
  branchProtection: [],
  teams: [],
  runs: [],
};

/** A GitHub login or a key segment `evidenceKey` writes: never a path that climbs out of a prefix. */
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** With an empty index, the bucket names the organisation when it holds only one. */
async function onlyOrganisationInBucket(store: EvidenceStore): Promise<string | undefined> {
  const orgs = await store.listFolders('evidence/');
  if (orgs.length > 1) {
    throw new InputError(
      '--org',
      `the index holds no evidence for the window and the bucket holds several organisations (${orgs.join(', ')}): name one`,
    );
  }
  return orgs[0];
}

/**
 * The current version of every key under the window's prefixes, by kind: one paged listing per
 * `evidence/<org>/<repo>/<kind>/<yyyy>/<mm>/`, the repositories being the bucket's own folders
 * (so a repository the index never heard of is listed too).
 */
async function listPeriodPrefixes(
  store: EvidenceStore,
  org: string,
  plans: readonly KindPlan[],
): Promise<{ prefixes: number; byKind: Map<DocumentKind, Map<string, string>> }> {
  const folders = await store.listFolders(`evidence/${org}/`);
  const prefixes: { kind: DocumentKind; prefix: string }[] = [];
  for (const plan of plans) {
    const scoped = folders.filter(
      (folder) => (folder === ORGANISATION_FOLDER) === ORGANISATION_KINDS.has(plan.kind),
    );
    for (const folder of scoped) {
      for (const period of periodsOf(plan.span)) {
        prefixes.push({
          kind: plan.kind,
          prefix: `evidence/${org}/${folder}/${plan.kind}/${period.slice(0, 4)}/${period.slice(5, 7)}/`,
        });
      }
    }
  }
  const listings = await mapInFlight(prefixes, READ_CONCURRENCY, ({ prefix }) =>
    store.listCurrentVersions(prefix),
  );
  const byKind = new Map<DocumentKind, Map<string, string>>();
  prefixes.forEach(({ kind }, i) => {
    const keys = byKind.get(kind) ?? new Map<string, string>();
    for (const current of listings[i] as CurrentVersion[]) keys.set(current.key, current.versionId);
    byKind.set(kind, keys);
  });
  return { prefixes: prefixes.length, byKind };
}

interface Read {
  readonly plan: KindPlan;
  readonly key: string;
  readonly versionId: string;
  /** The index row of the key, when it has one. */
  readonly indexed?: IndexEntry;
  /** True when `versionId` is the indexed version itself, checked against the row's SHA-256. */
  readonly trusted?: boolean;
}

interface ReadOutcome {
  readonly loaded?: { item: EvidenceItem<DocumentKind>; manifest: StoredManifestEntry };
  readonly finding?: IndexCrossCheckFinding;
}

/**
 * Read one object: an indexed version as the index names it (a mismatch with its SHA-256 is an
 * error), or a version the index lacks, which must be a valid document stored at its own key
 * and fall inside the window. A lacking version that cannot be used leaves the indexed one.
 */
async function readListed(store: EvidenceStore, read: Read): Promise<ReadOutcome> {
  const { plan, key, versionId, indexed } = read;
  if (read.trusted && indexed) {
    const loaded = await readDocument(store, plan.kind, indexed);
    return { loaded };
  }
  const stored = await readStoredEvidence(store, plan.kind, key, versionId);
  if (!stored.usable) {
    const fallback =
      indexed && plan.keep(indexed) ? await readDocument(store, plan.kind, indexed) : undefined;
    return {
      ...(fallback ? { loaded: fallback } : {}),
      finding: {
        finding: 'unusable',
        key,
        usedVersionId: fallback ? (indexed?.versionId ?? null) : null,
        indexedVersionId: indexed?.versionId ?? null,
        note: `version ${versionId} is not used: ${stored.problem}${fallback ? '; the indexed version is used' : ''}`,
      },
    };
  }
  const { doc, entry, object } = stored;
  if (!plan.keep(entry)) return {};
  return {
    loaded: {
      item: { doc, ref: { key, versionId } },
      manifest: {
        key,
        versionId,
        sha256: entry.sha256,
        retainUntil: object.retainUntil,
        writtenAt: object.lastModified,
      },
    },
    finding: indexed
      ? {
          finding: 'newer-than-index',
          key,
          usedVersionId: versionId,
          indexedVersionId: indexed.versionId,
          note: `the bucket's current version is newer than the indexed one: the current version is used`,
        }
      : {
          finding: 'not-indexed',
          key,
          usedVersionId: versionId,
          indexedVersionId: null,
          note: 'the bucket holds this object; the index has no row for it: read from the bucket and used',
        },
  };
}

async function readDocument(
  store: EvidenceStore,
  kind: DocumentKind,
  entry: IndexEntry,
): Promise<{ item: EvidenceItem<DocumentKind>; manifest: StoredManifestEntry }> {
  const { body, object, bodySha256 } = await store.get(entry.key, entry.versionId);
  // The store hashed the bytes it read to check them against its own record: not hashed twice.
  const actual = bodySha256 ?? sha256Hex(body);
  if (actual !== entry.sha256) {
    throw new StoreError(
      `evidence object ${entry.key} (version ${entry.versionId}) does not match the SHA-256 the index recorded: ` +
        `expected ${entry.sha256}, read ${actual}`,
    );
  }
  let doc: EvidenceItem<DocumentKind>['doc'];
  try {
    doc = parseStoredEvidenceDocument(kind, UTF8.decode(body));
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

/**
 * `work` over every item, at most `inFlight` at once, results in the items' order: that many
 * workers take the next item as they finish one. Nothing is queued per item (a limiter's queue
 * held a promise and a closure for each of a month's 270,000 reads until the last finished).
 */
async function mapInFlight<T, R>(
  items: readonly T[],
  inFlight: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = await work(items[i] as T);
      } catch (error: unknown) {
        next = items.length; // the others stop after their current item
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, items.length) }, worker));
  return results;
}

/** One copy of each distinct string handed to it: a table for one load, dropped with it. */
class SharedText {
  private readonly texts = new Map<string, string>();

  share(text: string): string {
    const known = this.texts.get(text);
    if (known !== undefined) return known;
    this.texts.set(text, text);
    return text;
  }
}

/**
 * Make the strings every document of a kind repeats (its provenance: the request made, the
 * token, the tool, the fetch time; its repository) one string in memory instead of one per
 * document. The same values, so nothing that reads them can tell; the parse gave each document
 * its own copies, about a tenth of the memory a month’s evidence takes.
 */
function shareRepeatedText(doc: EvidenceItem<DocumentKind>['doc'], shared: SharedText): void {
  // The document and its provenance are objects the parse just made, held by nothing else yet.
  const provenance = doc.provenance as {
    -readonly [F in keyof typeof doc.provenance]: (typeof doc.provenance)[F];
  };
  provenance.source = shared.share(provenance.source) as typeof provenance.source;
  provenance.request = shared.share(provenance.request);
  provenance.tokenIdentity = shared.share(provenance.tokenIdentity);
  provenance.toolVersion = shared.share(provenance.toolVersion);
  provenance.fetchedAt = shared.share(provenance.fetchedAt);
  const envelope = doc as { repo: string; org: string; schema: string };
  envelope.repo = shared.share(envelope.repo);
  envelope.org = shared.share(envelope.org);
  envelope.schema = shared.share(envelope.schema);
}

/**
 * One row per key and version, in the order each first appears, the last of its rows kept. A key
 * nearly always has one version in a month: looked up by key, and by key and version only when
 * it has several (a joined string per row was a visible part of reading a month's 100,000+ rows).
 */
function dedupe(rows: readonly IndexEntry[]): IndexEntry[] {
  const out: IndexEntry[] = [];
  const firstOfKey = new Map<string, number>();
  const otherVersions = new Map<string, number>();
  for (const row of rows) {
    const first = firstOfKey.get(row.key);
    if (first === undefined) {
      firstOfKey.set(row.key, out.length);
      out.push(row);
    } else if ((out[first] as IndexEntry).versionId === row.versionId) {
      out[first] = row;
    } else {
      const pair = `${row.key}\u0000${row.versionId}`;
      const at = otherVersions.get(pair);
      if (at === undefined) {
        otherVersions.set(pair, out.length);
        out.push(row);
      } else out[at] = row;
    }
  }
  return out;
}

/** `org` of an index row's `org/name` (or `org` for organisation-wide evidence). */
function orgOf(repo: string): string {
  return repo.split('/', 1)[0] as string;
}
