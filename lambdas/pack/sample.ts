import { z } from 'zod';
import { InputError } from '../errors.ts';
import { canonicalJson, sha256Hex } from '../evidence/canonical-json.ts';
import type { EvidenceStore } from '../evidence/ports.ts';

/**
 * Audit sampling of a sealed pack's population. The draw is reproducible by anyone with the
 * pack and the seed, with `sha256sum` alone: every change gets the rank
 * SHA-256("<seed>:<repo>:<change_type>:<pr_number>:<commit_sha>") and the sample is the `size`
 * changes of lowest rank (ties impossible in practice, broken by the row's text). The rank is a
 * keyed pseudo-random permutation: it does not depend on the order of population.csv, and a
 * different seed gives an independent draw.
 */
export const SAMPLE_FORMAT = 'cm01-audit-sample/1';

/** One change of population.csv, as the sample names it. */
export interface PopulationItem {
  readonly repo: string;
  readonly changeType: string;
  readonly prNumber: string;
  readonly commitSha: string;
  readonly mergedAt: string;
  readonly verdicts: Readonly<Record<string, string>>;
}

/**
 * Default sample size for a test of a control at 95 % confidence (5 % risk of overreliance),
 * 5 % tolerable deviation rate and no expected deviations: the smallest n such that a
 * population of `populationSize` holding ceil(5 %) deviations would show none in n draws
 * without replacement with probability at most 5 % (hypergeometric). For large populations it is
 * 59, the figure of the AICPA Audit Guide "Audit Sampling", Table A-1 (statistical sample sizes
 * for tests of controls, 5 % risk of overreliance; 0 % expected, 5 % tolerable); smaller
 * populations need fewer, down to the whole population when it is tiny.
 */
export function defaultSampleSize(populationSize: number): number {
  if (populationSize <= 0) return 0;
  const deviations = Math.max(1, Math.ceil(populationSize * 0.05));
  let noneSeen = 1;
  for (let n = 1; n <= populationSize; n++) {
    noneSeen *= (populationSize - deviations - (n - 1)) / (populationSize - (n - 1));
    if (noneSeen <= 0.05) return n;
  }
  return populationSize;
}

/** The documented table (docs/verification.md): population size → default sample size. */
export const DEFAULT_SIZE_TABLE_POPULATIONS = [
  1, 5, 10, 20, 30, 50, 75, 100, 150, 250, 500, 1_000, 5_000, 100_000,
];

export function rankOf(seed: string, item: PopulationItem): string {
  return sha256Hex(`${seed}:${item.repo}:${item.changeType}:${item.prNumber}:${item.commitSha}`);
}

/** The `size` items of lowest rank under `seed`, in rank order. */
export function drawSample(
  population: readonly PopulationItem[],
  seed: string,
  size: number,
): { rank: string; item: PopulationItem }[] {
  return population
    .map((item) => ({ rank: rankOf(seed, item), item }))
    .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0))
    .slice(0, size);
}

/** Parse population.csv (RFC 4180, as the pack writes it). */
export function parsePopulationCsv(text: string): { controls: string[]; items: PopulationItem[] } {
  const rows = parseCsv(text);
  const header = rows.shift();
  const fixed = ['repo', 'change_type', 'pr_number', 'commit_sha', 'merged_at', 'author'];
  if (!header || fixed.some((name, i) => header[i] !== name)) {
    throw new InputError('population.csv', `its header is not ${fixed.join(',')},…`);
  }
  const controls = header.slice(fixed.length);
  const items = rows.map((row) => ({
    repo: row[0] ?? '',
    changeType: row[1] ?? '',
    prNumber: row[2] ?? '',
    commitSha: row[3] ?? '',
    mergedAt: row[4] ?? '',
    verdicts: Object.fromEntries(controls.map((c, i) => [c, row[fixed.length + i] ?? ''])),
  }));
  return { controls, items };
}

export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const sampleSchema = z.object({
  format: z.literal(SAMPLE_FORMAT),
  org: z.string(),
  period: z.string(),
  profile: z.string(),
  /** The seal of the pack the population comes from. */
  sealSha256: z.string(),
  seed: z.string(),
  control: z.string().nullable(),
  populationSize: z.number(),
  size: z.number(),
  sizeSource: z.enum(['given', 'default']),
  method: z.string(),
  items: z.array(
    z.object({
      rank: z.string(),
      repo: z.string(),
      changeType: z.string(),
      prNumber: z.string(),
      commitSha: z.string(),
    }),
  ),
});
export type AuditSample = z.infer<typeof sampleSchema>;

export const SAMPLE_METHOD =
  'the size changes of lowest SHA-256("<seed>:<repo>:<change_type>:<pr_number>:<commit_sha>")';

export function sampleBytes(sample: AuditSample): Uint8Array {
  return new TextEncoder().encode(`${canonicalJson(sample)}\n`);
}

/**
 * `packs/<period>/samples/<stem>.sample-<seed>[-<control>].json`: stored under Object Lock beside
 * the pack, where an auditor's read-only role can list and read it.
 */
export function sampleKey(period: string, stem: string, seed: string, control: string | null): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
  return `packs/${period}/samples/${stem}.sample-${safe(seed)}${control ? `-${safe(control)}` : ''}.json`;
}

/** The samples stored for one pack, named by the next verify. */
export async function listSamples(
  store: EvidenceStore,
  period: string,
  stem: string,
): Promise<{ key: string; versionId: string; sample: AuditSample }[]> {
  const prefix = `packs/${period}/samples/${stem}.sample-`;
  const found: { key: string; versionId: string; sample: AuditSample }[] = [];
  for (const key of await store.listKeys(prefix)) {
    const { body, object } = await store.get(key);
    const parsed = sampleSchema.safeParse(safeJson(new TextDecoder().decode(body)));
    if (parsed.success) found.push({ key, versionId: object.versionId, sample: parsed.data });
  }
  return found;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
