import type { EvidenceDocument, Provenance } from '../evidence/documents.ts';
import { EVIDENCE_SCHEMA } from '../evidence/documents.ts';
import type { IndexEntry } from '../evidence/ports.ts';
import { contentHashOf, type RecordedEvidence } from '../evidence/record.ts';
import { SNAPSHOT_REFRESH_DAYS } from '../evidence/snapshot-cadence.ts';
import { type CollectContext, storeEvidence } from './context.ts';

/**
 * Dated snapshots of settings GitHub keeps no history of (branch protection, team membership):
 * one is stored when it says something new, and restated once the one in force is
 * `SNAPSHOT_REFRESH_DAYS` old. A night that read the same as the snapshot in force writes
 * nothing and counts the snapshot unchanged, so its `collection-run` record says the night
 * verified it. The pack takes the latest snapshot at or before each moment, which is then the
 * one in force.
 *
 * The stored snapshots are found through the index, once per kind and scope for a run; the
 * index is a cache and the bucket the truth, so whenever either cannot confirm that the stored
 * snapshot says the same, the snapshot is written.
 */

export type DatedSnapshotKind = 'branch-protection' | 'team-membership';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** The snapshots of one kind and scope stored within the refresh interval up to a day, read once for a run. */
export interface RecentSnapshots {
  readonly kind: DatedSnapshotKind;
  /** `org/name`, or the organisation for organisation-wide snapshots (teams). */
  readonly repo: string;
  /** `YYYY-MM-DD`: the day the new snapshots are of. */
  readonly day: string;
  /** Undefined when the index could not be read: every snapshot is then written. */
  readonly rows: readonly IndexEntry[] | undefined;
}

/** What storing one day's snapshot did. */
export interface DatedSnapshotOutcome extends RecordedEvidence {
  /**
   * Set when nothing was written because the snapshot of this day (`YYYY-MM-DD`) says the same
   * and is recent: `entry` is then that snapshot's row.
   */
  readonly unchangedSince?: string;
}

/** One day's reading of one series. */
export interface DatedSnapshotFields<K extends DatedSnapshotKind> {
  /** A team's slug; none for a repository's protection (one series per repository). */
  readonly series?: string;
  readonly provenance: Provenance;
  readonly data: EvidenceDocument<K>['data'];
}

/** `<series>@<day>` (one team of the organisation), or the day alone (a repository's protection). */
export function datedItemId(series: string | undefined, day: string): string {
  return series === undefined ? day : `${series}@${day}`;
}

/**
 * One index query: the rows of `kind` for `repo` dated from `SNAPSHOT_REFRESH_DAYS - 1` days
 * before `day` up to `day` itself (an older one is restated anyway). A failed read is kept as
 * "unknown", never as "none": the day's snapshots are then all written.
 */
export async function readRecentSnapshots(
  ctx: CollectContext,
  kind: DatedSnapshotKind,
  repo: string,
  day: string,
): Promise<RecentSnapshots> {
  if (!DAY.test(day)) throw new Error(`snapshot day "${day}" is not YYYY-MM-DD`);
  const dayStart = Date.parse(`${day}T00:00:00Z`);
  const from = startOfDay(dayStart - (SNAPSHOT_REFRESH_DAYS - 1) * DAY_MS);
  const to = startOfDay(dayStart + DAY_MS);
  try {
    return { kind, repo, day, rows: await ctx.index.queryRepo(repo, { kind, from, to }) };
  } catch {
    // The index is a cache: when it cannot say what is stored, the day's snapshot is written.
    return { kind, repo, day, rows: undefined };
  }
}

/**
 * Store the day's snapshot of one series (a team's slug; none for a repository's protection)
 * unless the latest stored one at or before the day holds the same data, is less than
 * `SNAPSHOT_REFRESH_DAYS` days older, and is still the current version in the bucket. Counted
 * written or unchanged either way.
 */
export async function storeDatedSnapshot<K extends DatedSnapshotKind>(
  ctx: CollectContext,
  recent: RecentSnapshots & { readonly kind: K },
  fields: DatedSnapshotFields<K>,
): Promise<DatedSnapshotOutcome> {
  const itemId = datedItemId(fields.series, recent.day);
  const occurredAt = `${recent.day}T00:00:00Z`;
  const standing = await standingSnapshot(ctx, recent, fields);
  if (standing) {
    ctx.count(recent.kind, false);
    return { entry: standing, written: false, unchangedSince: standing.occurredAt.slice(0, 10) };
  }
  return storeEvidence(ctx, {
    kind: recent.kind,
    repo: recent.repo,
    itemId,
    occurredAt,
    provenance: fields.provenance,
    data: fields.data,
  });
}

/** The stored snapshot that still stands for the day, when it provably says the same; else undefined. */
async function standingSnapshot<K extends DatedSnapshotKind>(
  ctx: CollectContext,
  recent: RecentSnapshots & { readonly kind: K },
  { series, provenance, data }: DatedSnapshotFields<K>,
): Promise<IndexEntry | undefined> {
  if (recent.rows === undefined) return undefined;
  const dayStart = Date.parse(`${recent.day}T00:00:00Z`);
  let latest: IndexEntry | undefined;
  for (const row of recent.rows) {
    const at = Date.parse(row.occurredAt);
    // Only this series' rows, named as this module names them, dated at or before the day.
    if (row.kind !== recent.kind || row.repo !== recent.repo || !(at <= dayStart)) continue;
    if (row.itemId !== datedItemId(series, row.occurredAt.slice(0, 10))) continue;
    if (!latest || at > Date.parse(latest.occurredAt)) latest = row;
  }
  if (!latest) return undefined;
  if (dayStart - Date.parse(latest.occurredAt) >= SNAPSHOT_REFRESH_DAYS * DAY_MS) return undefined;
  // The hash the new reading would have under the stored snapshot's item id: equal only when
  // every fact in `data` is (the hash covers kind, organisation, repository, item id and data).
  const reading: EvidenceDocument<K> = {
    schema: EVIDENCE_SCHEMA,
    kind: recent.kind,
    org: ctx.org,
    repo: recent.repo,
    itemId: latest.itemId,
    occurredAt: latest.occurredAt,
    provenance,
    data,
  };
  if (contentHashOf(reading) !== latest.contentHash) return undefined;
  // The bucket, not the index, decides what the pack reads: the row's version must still be the
  // current one and carry the same content hash (one HEAD, as a rewrite of the same key costs).
  const current = await ctx.store.head(latest.key);
  if (!current || current.versionId !== latest.versionId || current.contentHash !== latest.contentHash) {
    return undefined;
  }
  return latest;
}

function startOfDay(time: number): string {
  return `${new Date(time).toISOString().slice(0, 10)}T00:00:00Z`;
}
