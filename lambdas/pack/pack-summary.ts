import { z } from 'zod';
import type { PackModel } from '../core/pack-model.ts';
import { describeError, InputError } from '../errors.ts';
import { canonicalJson, sha256Hex } from '../evidence/canonical-json.ts';
import type { EvidenceStore, PackSigner, PutResult } from '../evidence/ports.ts';
import { packKey } from '../evidence/record.ts';
import { checkSealSignature } from './seal.ts';

/**
 * The pack's summary figures in machine-readable form, for the auditor's evidence room: the
 * per-control counts, the metrics with their thresholds, unknowns per cause and the retention of
 * the store as the pack judged it. The sealed files (manifest, population, exceptions) do not
 * carry these, and the PDF carries them only as text. The summary names the seal it belongs to and
 * is signed by the pack's signing key (a detached signature beside it), so the room shows its
 * figures only when that signature and that seal check out.
 */
export const SUMMARY_FORMAT = 'cm01-pack-summary/1';

export const SUMMARY_SUFFIXES = { summary: '.summary.json', signature: '.summary.sig' } as const;

const verdict = z.enum(['pass', 'fail', 'not_applicable', 'unknown']);

const summarySchema = z.object({
  format: z.literal(SUMMARY_FORMAT),
  org: z.string(),
  period: z.object({ label: z.string(), from: z.string(), to: z.string() }),
  profile: z.object({ id: z.string(), name: z.string() }),
  generatedAt: z.string(),
  /** The seal this summary belongs to: a summary beside another issue of the pack is not used. */
  sealSha256: z.string().regex(/^[0-9a-f]{64}$/),
  manifestDigest: z.string(),
  population: z.number().int().nonnegative(),
  exceptions: z.number().int().nonnegative(),
  controls: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      requirement: z.string(),
      pass: z.number().int(),
      fail: z.number().int(),
      notApplicable: z.number().int(),
      unknown: z.number().int(),
      exceptions: z.number().int(),
    }),
  ),
  metrics: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      numerator: z.number(),
      denominator: z.number(),
      rate: z.number().nullable(),
      threshold: z.number(),
      verdict,
      proxy: z.string().nullable(),
    }),
  ),
  unknowns: z.object({
    total: z.number().int(),
    fullyEvidenced: z.boolean(),
    byCause: z.array(z.object({ cause: z.string(), title: z.string(), count: z.number().int() })),
  }),
  gaps: z.number().int().nonnegative(),
  retention: z.object({
    location: z.string(),
    immutable: z.boolean(),
    versioning: z.string(),
    lockMode: z.string(),
    defaultRetentionDays: z.number().nullable(),
    verdict,
    notes: z.array(z.string()),
  }),
  incomplete: z
    .object({
      missing: z.array(z.object({ repo: z.string().nullable(), source: z.string(), reason: z.string() })),
    })
    .nullable(),
  /** Title and GitHub link of each change that holds an exception (the CSV carries neither). */
  changes: z.array(
    z.object({
      repo: z.string(),
      prNumber: z.number().int().nullable(),
      commitSha: z.string(),
      title: z.string(),
      url: z.string(),
    }),
  ),
});
export type PackSummary = z.infer<typeof summarySchema>;

/** The summary of a pack model, bound to the seal it was issued with. */
export function packSummaryOf(model: PackModel, sealSha256: string): PackSummary {
  const withExceptions = new Set(model.exceptions.map((e) => `${e.repo}\u0000${e.commitSha}`));
  return {
    format: SUMMARY_FORMAT,
    org: model.org,
    period: { label: model.period.label, from: model.period.from, to: model.period.to },
    profile: { id: model.profile.id, name: model.profile.name },
    generatedAt: model.generatedAt,
    sealSha256,
    manifestDigest: model.manifestDigest,
    population: model.population.length,
    exceptions: model.exceptions.length,
    controls: model.controls.map((c) => ({
      id: c.id,
      title: c.title,
      requirement: c.requirement,
      pass: c.pass,
      fail: c.fail,
      notApplicable: c.notApplicable,
      unknown: c.unknown,
      exceptions: c.exceptions,
    })),
    metrics: model.metrics.map((m) => ({
      id: m.id,
      title: m.title,
      numerator: m.numerator,
      denominator: m.denominator,
      rate: m.rate,
      threshold: m.threshold,
      verdict: m.verdict,
      proxy: m.proxy ?? null,
    })),
    unknowns: {
      total: model.unknowns.total,
      fullyEvidenced: model.unknowns.fullyEvidenced,
      byCause: model.unknowns.byCause.map((c) => ({ cause: c.cause, title: c.title, count: c.count })),
    },
    gaps: model.gaps.length,
    retention: { ...model.retention, notes: [...model.retention.notes] },
    incomplete: model.incomplete
      ? {
          missing: model.incomplete.missing.map((m) => ({
            repo: m.repo,
            source: m.source,
            reason: m.reason,
          })),
        }
      : null,
    changes: model.population
      .filter((row) => withExceptions.has(`${row.repo}\u0000${row.commitSha}`))
      .map((row) => ({
        repo: row.repo,
        prNumber: row.prNumber,
        commitSha: row.commitSha,
        title: row.title,
        url: row.url,
      })),
  };
}

/**
 * Store the summary and its detached signature beside the pack. The signature is stored with the
 * summary's hash as its content hash: ECDSA signatures are randomised, and an unchanged summary
 * must not gain a new signature version on every run.
 */
export async function storePackSummary(
  deps: { readonly store: EvidenceStore; readonly signer: PackSigner },
  pack: { readonly model: PackModel; readonly stem: string; readonly sealSha256: string },
): Promise<{ readonly summary: PutResult; readonly signature: PutResult }> {
  const bytes = new TextEncoder().encode(canonicalJson(packSummaryOf(pack.model, pack.sealSha256)));
  const label = pack.model.period.label;
  const summary = await deps.store.put({
    key: packKey(label, `${pack.stem}${SUMMARY_SUFFIXES.summary}`),
    body: bytes,
    contentType: 'application/json',
  });
  const signature = await deps.store.put({
    key: packKey(label, `${pack.stem}${SUMMARY_SUFFIXES.signature}`),
    body: await deps.signer.sign(bytes),
    contentType: 'application/octet-stream',
    contentHash: sha256Hex(bytes),
  });
  return { summary, signature };
}

export type SummaryCheck =
  | { readonly status: 'verified'; readonly summary: PackSummary }
  | { readonly status: 'absent' | 'not-verified'; readonly problem: string };

/**
 * A stored summary is used only when it is signed by the pack's (checked) key and names the
 * pack's current seal; otherwise the problem is named and its figures stay out of the room.
 */
export function checkPackSummary(
  bytes: Uint8Array | undefined,
  signature: Uint8Array | undefined,
  seal: { readonly sha256: string; readonly publicKeyPem: string } | undefined,
): SummaryCheck {
  if (!bytes)
    return { status: 'absent', problem: 'the pack has no summary file (packed before the room existed)' };
  if (!seal)
    return { status: 'not-verified', problem: 'the pack is not sealed, so its summary cannot be checked' };
  if (!signature) return { status: 'not-verified', problem: 'the summary has no signature beside it' };
  const signed = checkSealSignature(bytes, signature, seal.publicKeyPem);
  if (!signed.ok) return { status: 'not-verified', problem: `the summary's signature: ${signed.problem}` };
  let summary: PackSummary;
  try {
    summary = parsePackSummary(bytes);
  } catch (error: unknown) {
    return { status: 'not-verified', problem: describeError(error) };
  }
  if (summary.sealSha256 !== seal.sha256) {
    return {
      status: 'not-verified',
      problem: `the summary belongs to seal ${summary.sealSha256}, not the pack's current seal ${seal.sha256}`,
    };
  }
  return { status: 'verified', summary };
}

export function parsePackSummary(bytes: Uint8Array): PackSummary {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error: unknown) {
    throw new InputError('summary.json', 'is not JSON', { cause: error });
  }
  const parsed = summarySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(
      `summary.json${issue?.path.length ? `.${issue.path.join('.')}` : ''}`,
      `is not a cm01 pack summary (${issue?.message ?? 'invalid'})`,
      { cause: parsed.error },
    );
  }
  return parsed.data;
}
