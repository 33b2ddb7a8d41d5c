import { evaluatePeriod } from '../core/evaluate-period.ts';
import type { PackModel } from '../core/pack-model.ts';
import type { LoadedProfile } from '../core/shipped-profiles.ts';
import type { Window } from '../core/window.ts';
import { Cm01Error } from '../errors.ts';
import type { EvidenceIndex, EvidenceStore, IndexEntry, PutResult } from '../evidence/ports.ts';
import { packKey } from '../evidence/record.ts';
import { TOOL_ID } from '../version.ts';
import { loadPeriodEvidence } from './load-evidence.ts';

/** Renders a pack model; the PDF adapter in production, injected so the use-case stays testable. */
export type PackRenderer = (model: PackModel) => Promise<{
  readonly pdf: Uint8Array;
  readonly manifestJson: string;
  readonly populationCsv: string;
  readonly exceptionsCsv: string;
  readonly pageCount: number;
}>;

/** A period with nothing collected: never rendered as an empty "all passed" pack. */
export class NoEvidenceError extends Cm01Error {
  override name = 'NoEvidenceError';
  constructor(message: string) {
    super('NO_EVIDENCE', message);
  }
}

export interface PackFile {
  /** File name, e.g. `cm01-acme-2026-10-clerk-cm01.pdf`. */
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly stored: PutResult;
}

export interface BuiltPack {
  readonly model: PackModel;
  readonly stem: string;
  readonly pageCount: number;
  /** The PDF first, then manifest, population and exceptions. */
  readonly files: readonly PackFile[];
}

export interface BuildPackRequest {
  readonly window: Window;
  readonly profile: LoadedProfile;
  /** The organisation; taken from the evidence when the store holds only one. */
  readonly org?: string;
  readonly onProgress?: (text: string) => void;
}

/** `cm01-<org>-<period>-<profile>`: the stem of every pack file (cli.md). */
export function packStem(org: string, window: Window, profileId: string): string {
  return `cm01-${org}-${window.label}-${profileId}`;
}

/**
 * Judge every change of the window against the profile and render the pack: read the period's
 * evidence through the index (Query only) and the store (by version), evaluate (pure), render,
 * and store the PDF and its files under `packs/<period>/` with the store's retention.
 */
export async function buildPack(
  deps: { readonly store: EvidenceStore; readonly index: EvidenceIndex; readonly render: PackRenderer },
  request: BuildPackRequest,
): Promise<BuiltPack> {
  const { store, index, render } = deps;
  request.onProgress?.('reading evidence…');
  const loaded = await loadPeriodEvidence(store, index, request.window, { org: request.org });
  const org = loaded.orgs[0] ?? request.org;
  const evidence = loaded.evidence;
  if (org === undefined) {
    throw new NoEvidenceError(
      `no evidence collected for ${request.window.label} in ${store.location}: collect it first (cm01 collect, or cm01 run)`,
    );
  }
  if (
    evidence.pullRequests.length === 0 &&
    evidence.branchCommits.length === 0 &&
    evidence.runs.length === 0
  ) {
    throw new NoEvidenceError(
      `no evidence of ${org} collected for ${request.window.label} in ${store.location}: ` +
        `collect it first (cm01 collect --period …, or cm01 run)`,
    );
  }
  request.onProgress?.('judging changes…');
  const retention = await store.retention();
  const model = evaluatePeriod({
    org,
    window: request.window,
    profile: request.profile.profile,
    profileSource: request.profile.source,
    toolVersion: TOOL_ID,
    evidence,
    retention,
    manifest: loaded.manifest,
  });
  request.onProgress?.(`rendering ${model.population.length} changes…`);
  const rendered = await render(model);
  const stem = packStem(org, request.window, model.profile.id);
  const encoder = new TextEncoder();
  const contents: { name: string; bytes: Uint8Array; contentType: string }[] = [
    { name: `${stem}.pdf`, bytes: rendered.pdf, contentType: 'application/pdf' },
    {
      name: `${stem}.manifest.json`,
      bytes: encoder.encode(rendered.manifestJson),
      contentType: 'application/json',
    },
    {
      name: `${stem}.population.csv`,
      bytes: encoder.encode(rendered.populationCsv),
      contentType: 'text/csv',
    },
    {
      name: `${stem}.exceptions.csv`,
      bytes: encoder.encode(rendered.exceptionsCsv),
      contentType: 'text/csv',
    },
  ];
  request.onProgress?.('storing the pack…');
  const files: PackFile[] = [];
  for (const content of contents) {
    const stored = await store.put({
      key: packKey(request.window.label, content.name),
      body: content.bytes,
      contentType: content.contentType,
    });
    files.push({ name: content.name, bytes: content.bytes, stored });
  }
  const pdf = files[0] as PackFile;
  const entry: IndexEntry = {
    kind: 'pack',
    period: request.window.from.slice(0, 7),
    repo: org,
    itemId: `${request.window.label}#${model.profile.id}`,
    occurredAt: request.window.from,
    key: pdf.stored.key,
    versionId: pdf.stored.versionId,
    sha256: pdf.stored.sha256,
    contentHash: pdf.stored.contentHash,
    retainUntil: pdf.stored.retainUntil,
    attributes: {
      profile: model.profile.id,
      changes: model.population.length,
      exceptions: model.exceptions.length,
      manifestDigest: model.manifestDigest,
    },
  };
  await index.put([entry]);
  return { model, stem, pageCount: rendered.pageCount, files };
}
