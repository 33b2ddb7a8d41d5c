import type { MissingSource } from '../core/pack-model.ts';
import { periodsOf, type Window } from '../core/window.ts';
import { describeError, StoreError } from '../errors.ts';
import { type EvidenceDocument, parseEvidenceDocument } from '../evidence/documents.ts';
import type { EvidenceIndex, EvidenceStore, PackSigner } from '../evidence/ports.ts';
import {
  type BuildPackRequest,
  type BuiltPack,
  buildPack as judgeAndRender,
  type PackRenderer,
} from '../pack/build-pack.ts';
import { storePackSummary } from '../pack/pack-summary.ts';
import { CollectionFailedError, unresolvedFailures } from './collection-failure.ts';

/**
 * Build a pack from what the store holds for a window: judge every change against the profile,
 * render, and store the PDF and its files under Object Lock. Nothing is collected here; a
 * period with no evidence is refused rather than rendered as an empty "all passed" pack.
 *
 * The failure policy holds here too, whichever command collected: when a stored collection run
 * of the window failed for some source and no later run read it again, the evidence is
 * incomplete, so `CollectionFailedError` names each source and no pack is stored — unless
 * `allowIncomplete`, which stores one marked INCOMPLETE.
 */
export interface BuildPackDeps {
  readonly store: EvidenceStore;
  readonly index: EvidenceIndex;
  readonly render: PackRenderer;
  /** Signs the pack's seal (KMS on AWS, a key file kept by the embedded store on one machine). */
  readonly signer: PackSigner;
}

export interface BuildWindowPackRequest extends Omit<BuildPackRequest, 'incomplete'> {
  readonly allowIncomplete?: boolean;
  /** Failures the caller already knows of (the collection it just ran). */
  readonly knownMissing?: readonly MissingSource[];
}

export type { BuiltPack, PackRenderer };

const DAY_MS = 86_400_000;
/** Runs are recorded at their start; a month's runs start up to a month after it (as the pack reads them). */
const RUN_SPAN_MS = 31 * DAY_MS;

export async function buildWindowPack(
  deps: BuildPackDeps,
  request: BuildWindowPackRequest,
): Promise<BuiltPack> {
  const { allowIncomplete, knownMissing, ...packRequest } = request;
  const runs = await storedCollectionRuns(deps, request.window, request.org);
  const missing = mergeMissing(knownMissing ?? [], unresolvedFailures(runs, request.window));
  if (missing.length > 0 && !allowIncomplete) {
    throw new CollectionFailedError({ window: request.window, missing });
  }
  const built = await judgeAndRender(deps, {
    ...packRequest,
    ...(missing.length > 0 ? { incomplete: { missing } } : {}),
  });
  // The room's figures (controls, metrics, unknowns, retention), signed and bound to this seal.
  await storePackSummary(deps, { model: built.model, stem: built.stem, sealSha256: built.seal.sha256 });
  return built;
}

/** The `collection-run` records whose window overlaps this one (index Query, then each object). */
async function storedCollectionRuns(
  deps: Pick<BuildPackDeps, 'store' | 'index'>,
  window: Window,
  org: string | undefined,
): Promise<EvidenceDocument<'collection-run'>[]> {
  const span = { from: window.from, to: new Date(Date.parse(window.to) + RUN_SPAN_MS).toISOString() };
  const rows = (
    await Promise.all(periodsOf(span).map((p) => deps.index.queryPeriod('collection-run', p)))
  ).flat();
  const runs: EvidenceDocument<'collection-run'>[] = [];
  for (const row of rows) {
    if (org !== undefined && row.repo !== org) continue;
    const { body } = await deps.store.get(row.key, row.versionId);
    let run: EvidenceDocument<'collection-run'>;
    try {
      run = parseEvidenceDocument('collection-run', JSON.parse(new TextDecoder().decode(body)));
    } catch (error: unknown) {
      throw new StoreError(
        `collection run ${row.key} (version ${row.versionId}) is not valid: ${describeError(error)}`,
        {
          cause: error,
        },
      );
    }
    const overlaps =
      Date.parse(run.data.window.from) < Date.parse(window.to) &&
      Date.parse(run.data.window.to) > Date.parse(window.from);
    if (overlaps) runs.push(run);
  }
  return runs;
}

function mergeMissing(first: readonly MissingSource[], second: readonly MissingSource[]): MissingSource[] {
  const merged = new Map<string, MissingSource>();
  for (const m of [...first, ...second]) {
    const key = `${m.repo ?? ''}\u0000${m.source}`;
    if (!merged.has(key)) merged.set(key, m);
  }
  return [...merged.values()];
}
