import type { PackModel, Verdict } from '../../core/pack-model.ts';
import { canonicalJson } from '../../evidence/canonical-json.ts';

/**
 * The machine-readable files of a pack: written beside the PDF and embedded in it, byte for byte
 * the same. Pure functions of the model: the same model always gives the same bytes.
 */

export const POPULATION_CSV_FIXED_COLUMNS = [
  'repo',
  'change_type',
  'pr_number',
  'commit_sha',
  'merged_at',
  'author',
] as const;

export const EXCEPTIONS_CSV_COLUMNS = [
  'repo',
  'change_type',
  'pr_number',
  'commit_sha',
  'control',
  'reason',
  'evidence_key',
  'evidence_version',
] as const;

export const MANIFEST_FORMAT = 'cm01-pack-manifest/1';

/** RFC 4180 line ending. */
const CRLF = '\r\n';

/** One RFC 4180 field: quoted when it holds a comma, a quote or a line break; quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function csvLine(fields: readonly string[]): string {
  return fields.map(csvField).join(',') + CRLF;
}

/**
 * `population.csv`: one row per change, one verdict column per control of the profile. A control
 * the model has no verdict for is written `unknown` — missing evidence never reads as a pass.
 */
export function toPopulationCsv(model: PackModel): string {
  const parts = [csvLine([...POPULATION_CSV_FIXED_COLUMNS, ...model.controlIds])];
  for (const row of model.population) {
    const verdicts = model.controlIds.map((id): Verdict => row.verdicts[id] ?? 'unknown');
    parts.push(
      csvLine([
        row.repo,
        row.changeType,
        row.prNumber === null ? '' : String(row.prNumber),
        row.commitSha,
        row.mergedAt,
        row.author,
        ...verdicts,
      ]),
    );
  }
  return parts.join('');
}

/** `exceptions.csv`: one row per failing (change, control) that is an exception. */
export function toExceptionsCsv(model: PackModel): string {
  const parts = [csvLine(EXCEPTIONS_CSV_COLUMNS)];
  for (const row of model.exceptions) {
    parts.push(
      csvLine([
        row.repo,
        row.changeType,
        row.prNumber === null ? '' : String(row.prNumber),
        row.commitSha,
        row.control,
        row.reason,
        row.evidenceKey,
        row.evidenceVersion,
      ]),
    );
  }
  return parts.join('');
}

/**
 * `manifest.json`: every evidence object the pack rests on (key, version ID, SHA-256, retain-until)
 * in the model's order, with the digest printed on the cover and what the pack covers. Canonical
 * JSON (sorted keys, no white space), so it is stable and hashable.
 */
export function toManifestJson(model: PackModel): string {
  return canonicalJson({
    format: MANIFEST_FORMAT,
    org: model.org,
    period: { label: model.period.label, from: model.period.from, to: model.period.to },
    profile: {
      id: model.profile.id,
      name: model.profile.name,
      versions: model.profile.versions.map((v) => ({ version: v.version, effectiveFrom: v.effectiveFrom })),
    },
    generatedAt: model.generatedAt,
    toolVersion: model.toolVersion,
    manifestDigest: model.manifestDigest,
    ...(model.incomplete
      ? {
          incomplete: {
            missing: model.incomplete.missing.map((m) => ({
              repo: m.repo,
              source: m.source,
              reason: m.reason,
            })),
          },
        }
      : {}),
    entryCount: model.manifest.length,
    entries: model.manifest.map((e) => ({
      key: e.key,
      versionId: e.versionId,
      sha256: e.sha256,
      retainUntil: e.retainUntil,
    })),
    // The index checked against a listing of the bucket: what it lacked (and the pack read anyway).
    indexCrossCheck: {
      prefixesListed: model.indexCrossCheck.prefixesListed,
      objectsListed: model.indexCrossCheck.objectsListed,
      findings: model.indexCrossCheck.findings.map((f) => ({
        finding: f.finding,
        key: f.key,
        usedVersionId: f.usedVersionId,
        indexedVersionId: f.indexedVersionId,
        note: f.note,
      })),
    },
  });
}
