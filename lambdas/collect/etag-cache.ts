import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import type { CachedRestResponse, ConditionalCache } from '../adapters/github/client.ts';
import type { EvidenceIndex } from '../evidence/ports.ts';

/**
 * The ETags of a collection run's REST answers, kept for the next run. GitHub answers a
 * conditional request whose ETag still matches with `304 Not Modified` and does not count it
 * against the rate limit; the client then uses the kept answer. Kept only in memory, that saves
 * nothing the next night: a new process (or Lambda) would ask everything again. So the run
 * lends the client this cache, backed by the evidence index's cursor rows.
 *
 * Why the index and not the evidence bucket: the bucket is Object-Locked (every version kept
 * for years, nothing overwritten), which suits evidence and not a cache rewritten nightly; and
 * nothing in the bucket's prefixes may be writable by anything but the evidence writer's
 * append-only grants. The index already holds the collectors' cursors, mutable by design, and is
 * never read as evidence: a cached answer only ever becomes evidence again through a collector,
 * which stores it under the normal content-hash rules with the run's own provenance.
 *
 * One row per repository (`collector = github-etags`, `repo = org/name`) and one for the
 * organisation's own URLs (`repo = org`): gzip-compressed JSON, at most `MAX_ROW_BYTES`, so a
 * DynamoDB item (400 KB) always holds it — past that, the largest answers are dropped (each
 * costs one counted request the next time). A row is rewritten only when its answers changed:
 * a night with nothing new writes no row. Answers kept for another credential or another GitHub
 * are ignored. A rewritten row holds only the URLs that run read, so stale ones fall out.
 */

export const ETAG_CACHE_COLLECTOR = 'github-etags';
/** Base64 of the gzipped row; DynamoDB's item limit is 400 KB. */
export const MAX_ROW_BYTES = 300_000;
const FORMAT = 'cm01-etags/1';

const rowSchema = z.object({
  format: z.literal(FORMAT),
  identity: z.string(),
  baseUrl: z.string(),
  entries: z.array(
    z.tuple([
      z.string(),
      z.object({
        etag: z.string(),
        status: z.number().int(),
        data: z.unknown(),
        headers: z.record(z.string(), z.union([z.string(), z.number(), z.undefined()])),
        url: z.string(),
      }),
    ]),
  ),
});

type Entries = Map<string, CachedRestResponse>;

export class IndexEtagCache implements ConditionalCache {
  private readonly loaded = new Map<string, Promise<Entries>>();
  /** Per scope, the answers this run read or confirmed (what the next run will ask for again). */
  private readonly used = new Map<string, Entries>();

  constructor(
    private readonly index: EvidenceIndex,
    private readonly options: { readonly identity: string; readonly baseUrl: string; readonly org: string },
  ) {}

  async get(url: string): Promise<CachedRestResponse | undefined> {
    const { scope, key } = this.locate(url);
    return this.used.get(scope)?.get(key) ?? (await this.load(scope)).get(key);
  }

  set(url: string, entry: CachedRestResponse): void {
    const { scope, key } = this.locate(url);
    let entries = this.used.get(scope);
    if (!entries) {
      entries = new Map();
      this.used.set(scope, entries);
    }
    entries.set(key, entry);
  }

  /** Write the rows whose answers changed; returns how many were written. */
  async flush(updatedAt: string): Promise<number> {
    let written = 0;
    for (const [scope, entries] of this.used) {
      const before = await this.load(scope);
      if (sameValidators(before, entries)) continue;
      await this.index.putCursor({
        collector: ETAG_CACHE_COLLECTOR,
        repo: scope,
        position: this.encode(entries),
        updatedAt,
      });
      this.loaded.set(scope, Promise.resolve(new Map(entries)));
      written += 1;
    }
    return written;
  }

  /** `/repos/{o}/{r}/…` belongs to that repository's row; anything else to the organisation's. */
  private locate(url: string): { scope: string; key: string } {
    const key = url.startsWith(this.options.baseUrl) ? url.slice(this.options.baseUrl.length) : url;
    const repo = /^\/repos\/([^/?]+)\/([^/?]+)/.exec(key);
    const scope = repo
      ? `${decodeURIComponent(repo[1] ?? '')}/${decodeURIComponent(repo[2] ?? '')}`
      : this.options.org;
    return { scope: scope.toLowerCase(), key };
  }

  private load(scope: string): Promise<Entries> {
    let pending = this.loaded.get(scope);
    if (!pending) {
      pending = this.index.getCursor(ETAG_CACHE_COLLECTOR, scope).then((row) => this.decode(row?.position));
      this.loaded.set(scope, pending);
    }
    return pending;
  }

  private decode(position: string | undefined): Entries {
    if (position === undefined) return new Map();
    try {
      const row = rowSchema.parse(JSON.parse(gunzipSync(Buffer.from(position, 'base64')).toString('utf8')));
      // Another credential may see other answers; another GitHub has other ETags.
      if (row.identity !== this.options.identity || row.baseUrl !== this.options.baseUrl) return new Map();
      return new Map(row.entries as [string, CachedRestResponse][]);
    } catch {
      return new Map(); // An unreadable row only costs the requests it would have saved.
    }
  }

  private encode(entries: Entries): string {
    const kept = [...entries].map(([key, entry]) => ({
      key,
      entry,
      size: JSON.stringify(entry.data).length,
    }));
    kept.sort((a, b) => a.size - b.size || a.key.localeCompare(b.key));
    for (;;) {
      const text = JSON.stringify({
        format: FORMAT,
        identity: this.options.identity,
        baseUrl: this.options.baseUrl,
        entries: kept.map(({ key, entry }) => [key, entry]),
      });
      const encoded = gzipSync(Buffer.from(text, 'utf8')).toString('base64');
      if (encoded.length <= MAX_ROW_BYTES || kept.length === 0) return encoded;
      kept.pop(); // the largest answer goes first
    }
  }
}

/**
 * True when the row already holds every answer this run used, with the same ETag. Answers the
 * run did not ask for stay in the row until a change rewrites it with this run's answers only.
 */
function sameValidators(before: Entries, after: Entries): boolean {
  for (const [key, entry] of after) if (before.get(key)?.etag !== entry.etag) return false;
  return true;
}
