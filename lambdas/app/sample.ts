import { randomInt } from 'node:crypto';
import { explainChanges, manifestDigest } from '../core/evaluate-period.ts';
import type { LoadedProfile } from '../core/shipped-profiles.ts';
import { monthWindow, rangeWindow, type Window } from '../core/window.ts';
import { Cm01Error, InputError } from '../errors.ts';
import { canonicalJson, sha256Hex } from '../evidence/canonical-json.ts';
import type { EvidenceIndex, EvidenceStore, PutResult } from '../evidence/ports.ts';
import { packKey } from '../evidence/record.ts';
import { loadPeriodEvidence } from '../pack/load-evidence.ts';
import {
  type AuditSample,
  defaultSampleSize,
  drawSample,
  parsePopulationCsv,
  SAMPLE_FORMAT,
  SAMPLE_METHOD,
  sampleBytes,
  sampleKey,
} from '../pack/sample.ts';
import { checkSealSignature, PACK_FILE_SUFFIXES, sealDigest } from '../pack/seal.ts';
import { readStoredSeal } from '../pack/seal-pack.ts';

/** What the one-page summary of a sampled change shows. */
export interface SampleItemSummary {
  readonly position: number;
  readonly of: number;
  readonly org: string;
  readonly period: string;
  readonly profile: string;
  readonly seed: string;
  readonly generatedAt: string;
  readonly toolVersion: string;
  /** e.g. `acme/api PR #12 (commit …)`. */
  readonly change: string;
  readonly facts: readonly string[];
  readonly judgements: readonly { control: string; verdict: string; reasons: readonly string[] }[];
  readonly evidence: readonly { key: string; versionId: string; sha256: string }[];
}

export interface SampleRequest {
  /** `YYYY-MM`, or a `<from>_<to>` label of a ranged pack. */
  readonly period: string;
  readonly profile: LoadedProfile;
  readonly org?: string;
  /** Default: by population size (see `defaultSampleSize`). */
  readonly size?: number;
  /** Default: a random whole number, printed and stored. */
  readonly seed?: string;
  /** Sample only the changes this control applies to (its verdict is not `not_applicable`). */
  readonly control?: string;
}

/** One file of a sample bundle, relative to the bundle's folder. */
export interface BundleFile {
  readonly path: string;
  readonly bytes: Uint8Array;
}

export interface SampleResult {
  readonly sample: AuditSample;
  readonly stored: PutResult;
  /** Folder name of the bundle: `<stem>.sample-<seed>[-<control>]`. */
  readonly bundleName: string;
  readonly files: readonly BundleFile[];
}

/** The stored pack fails its own seal: sampling it would sample a population nobody signed. */
export class UnsealedPackError extends Cm01Error {
  override name = 'UnsealedPackError';
  constructor(message: string) {
    super('PACK_UNSEALED', message);
  }
}

/**
 * Draw a reproducible audit sample from a sealed pack's population: the pack's stored
 * `population.csv` (checked against its signed seal), the seed's ranks, then for each sampled
 * change a bundle of its raw evidence objects, its verdicts with reasons (re-derived from the
 * same evidence the pack rests on, refused if that evidence changed since sealing) and a one-page
 * PDF. The sample record is stored under Object Lock beside the pack.
 */
export async function drawAuditSample(
  deps: {
    readonly store: EvidenceStore;
    readonly index: EvidenceIndex;
    readonly renderSummary: (item: SampleItemSummary) => Promise<Uint8Array>;
  },
  request: SampleRequest,
): Promise<SampleResult> {
  const { store, index } = deps;
  const window = windowOf(request.period);
  const profileId = request.profile.profile.id;
  const org = request.org ?? (await soleOrgOfPeriod(store, window.label, profileId));
  const stem = `cm01-${org}-${window.label}-${profileId}`;
  const stored = await readStoredSeal(store, window.label, stem);
  if (!stored) {
    throw new InputError(
      '--period',
      `no sealed ${profileId} pack of ${org} for ${window.label} in ${store.location}`,
    );
  }
  const { seal } = stored;
  const keyPem = await readText(store, packKey(window.label, `${stem}${PACK_FILE_SUFFIXES.publicKey}`));
  const signature = (await store.get(packKey(window.label, `${stem}${PACK_FILE_SUFFIXES.signature}`))).body;
  const populationBytes = (await store.get(packKey(window.label, `${stem}${PACK_FILE_SUFFIXES.population}`)))
    .body;
  if (
    !checkSealSignature(stored.bytes, signature, keyPem).ok ||
    sha256Hex(populationBytes) !== seal.files['population.csv']
  ) {
    throw new UnsealedPackError(`the stored ${stem} does not match its seal: run cm01 verify on it first`);
  }
  const { controls, items } = parsePopulationCsv(new TextDecoder().decode(populationBytes));
  if (request.control !== undefined && !controls.includes(request.control)) {
    throw new InputError(
      '--control',
      `"${request.control}" is not a control of ${profileId} (${controls.join(', ')})`,
    );
  }
  const population = request.control
    ? items.filter((i) => i.verdicts[request.control as string] !== 'not_applicable')
    : items;
  if (population.length === 0) throw new InputError('--control', 'the population to sample is empty');
  if (request.size !== undefined && request.size > population.length) {
    throw new InputError(
      '--size',
      `${request.size} is more than the ${population.length} changes of the population`,
    );
  }
  const size = request.size ?? defaultSampleSize(population.length);
  const seed = request.seed ?? String(randomInt(0, 2 ** 32));
  const drawn = drawSample(population, seed, size);

  const sample: AuditSample = {
    format: SAMPLE_FORMAT,
    org,
    period: window.label,
    profile: profileId,
    sealSha256: sealDigest(stored.bytes),
    seed,
    control: request.control ?? null,
    populationSize: population.length,
    size,
    sizeSource: request.size === undefined ? 'default' : 'given',
    method: SAMPLE_METHOD,
    items: drawn.map(({ rank, item }) => ({
      rank,
      repo: item.repo,
      changeType: item.changeType,
      prNumber: item.prNumber,
      commitSha: item.commitSha,
    })),
  };

  // The verdicts' reasons, from the very evidence the pack rests on.
  const loaded = await loadPeriodEvidence(store, index, window, { org });
  const retention = await store.retention();
  const manifest = loaded.manifest;
  if (
    manifestDigest(
      manifest.map(({ key, versionId, sha256, retainUntil }) => ({ key, versionId, sha256, retainUntil })),
    ) !== seal.manifestDigest
  ) {
    throw new InputError(
      '--period',
      `the evidence of ${window.label} changed since the pack was sealed: re-issue the pack (cm01 pack --period ${window.label} --reason …) and sample that`,
    );
  }
  const wanted = new Set(sample.items.map((i) => `${i.repo}@${i.commitSha}`));
  const explained = explainChanges(
    {
      org,
      window,
      profile: request.profile.profile,
      profileSource: request.profile.source,
      toolVersion: seal.toolVersion,
      evidence: loaded.evidence,
      retention,
      manifest,
    },
    (change) => wanted.has(`${change.repo}@${change.commitSha}`),
  );
  const byChange = new Map(explained.map((e) => [`${e.repo}@${e.commitSha}`, e]));
  const shaOf = new Map(manifest.map((m) => [`${m.key}\u0000${m.versionId}`, m.sha256]));

  const bundleName = sampleKey(window.label, stem, seed, sample.control)
    .split('/')
    .pop()!
    .replace(/\.json$/, '');
  const files: BundleFile[] = [{ path: 'sample.json', bytes: sampleBytes(sample) }];
  for (const [i, item] of sample.items.entries()) {
    const change = byChange.get(`${item.repo}@${item.commitSha}`);
    if (!change)
      throw new Cm01Error('SAMPLE', `sampled change ${item.repo}@${item.commitSha} is not in the evidence`);
    const refs = uniqueRefs([...change.evidence, ...change.judgements.flatMap((j) => j.evidence)]);
    const folder = `${String(i + 1).padStart(3, '0')}-${item.repo.replace(/[^A-Za-z0-9._-]/g, '_')}-${item.prNumber ? `pr${item.prNumber}` : item.commitSha.slice(0, 12)}`;
    const evidence: { key: string; versionId: string; sha256: string; file: string }[] = [];
    for (const ref of refs) {
      const { body } = await store.get(ref.key, ref.versionId);
      const sha256 = sha256Hex(body);
      const recorded = shaOf.get(`${ref.key}\u0000${ref.versionId}`);
      if (recorded !== undefined && recorded !== sha256) {
        throw new Cm01Error(
          'SAMPLE',
          `evidence ${ref.key} (version ${ref.versionId}) does not match the pack's manifest`,
        );
      }
      const file = `evidence/${ref.key.replace(/[^A-Za-z0-9._-]/g, '_')}@${ref.versionId}.json`;
      evidence.push({ key: ref.key, versionId: ref.versionId, sha256, file });
      files.push({ path: `${folder}/${file}`, bytes: body });
    }
    const itemJson = {
      position: i + 1,
      rank: item.rank,
      change: {
        repo: change.repo,
        changeType: change.changeType,
        prNumber: change.prNumber,
        commitSha: change.commitSha,
        mergedAt: change.mergedAt,
        author: change.author,
        title: change.title,
        url: change.url,
        profileVersion: change.profileVersion,
      },
      verdicts: change.judgements,
      evidence,
    };
    files.push({
      path: `${folder}/item.json`,
      bytes: new TextEncoder().encode(`${canonicalJson(itemJson)}\n`),
    });
    files.push({
      path: `${folder}/summary.pdf`,
      bytes: await deps.renderSummary({
        position: i + 1,
        of: sample.items.length,
        org,
        period: window.label,
        profile: profileId,
        seed,
        generatedAt: seal.generatedAt,
        toolVersion: seal.toolVersion,
        change: `${change.repo} ${change.prNumber !== null ? `PR #${change.prNumber}` : 'direct push'} (${change.commitSha})`,
        facts: [
          `Title: ${change.title}`,
          `Merged at: ${change.mergedAt} by ${change.author || 'unknown'}; judged by profile version ${change.profileVersion}`,
          `Link: ${change.url}`,
          `Rank under the seed: ${item.rank}`,
        ],
        judgements: change.judgements.map((j) => ({
          control: j.control,
          verdict: j.verdict,
          reasons: j.reasons,
        })),
        evidence,
      }),
    });
  }
  const put = await store.put({
    key: sampleKey(window.label, stem, seed, sample.control),
    body: sampleBytes(sample),
    contentType: 'application/json',
  });
  return { sample, stored: put, bundleName, files };
}

function uniqueRefs(
  refs: readonly { key: string; versionId: string }[],
): { key: string; versionId: string }[] {
  const seen = new Map<string, { key: string; versionId: string }>();
  for (const ref of refs)
    seen.set(`${ref.key}\u0000${ref.versionId}`, { key: ref.key, versionId: ref.versionId });
  return [...seen.values()].sort((a, b) =>
    a.key < b.key ? -1 : a.key > b.key ? 1 : a.versionId < b.versionId ? -1 : 1,
  );
}

function windowOf(period: string): Window {
  if (/^\d{4}-\d{2}$/.test(period)) return monthWindow(period);
  const match = /^(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})$/.exec(period);
  if (!match) throw new InputError('--period', `"${period}" is not YYYY-MM or a <from>_<to> pack label`);
  return rangeWindow(match[1] as string, match[2] as string);
}

async function readText(store: EvidenceStore, key: string): Promise<string> {
  return new TextDecoder().decode((await store.get(key)).body);
}

async function soleOrgOfPeriod(store: EvidenceStore, label: string, profileId: string): Promise<string> {
  const suffix = `-${label}-${profileId}${PACK_FILE_SUFFIXES.seal}`;
  const prefix = `packs/${label}/cm01-`;
  const orgs = (await store.listKeys(`packs/${label}/`))
    .filter((key) => key.startsWith(prefix) && key.endsWith(suffix))
    .map((key) => key.slice(prefix.length, -suffix.length));
  if (orgs.length === 1) return orgs[0] as string;
  if (orgs.length === 0)
    throw new InputError('--period', `no sealed ${profileId} pack for ${label} in ${store.location}`);
  throw new InputError('--org', `packs of several organisations for ${label} (${orgs.join(', ')}): name one`);
}
