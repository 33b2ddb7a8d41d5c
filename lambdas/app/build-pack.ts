import type { EvidenceIndex, EvidenceStore } from '../evidence/ports.ts';
import {
  type BuildPackRequest,
  type BuiltPack,
  buildPack as judgeAndRender,
  type PackRenderer,
} from '../pack/build-pack.ts';

/**
 * Build a pack from what the store holds for a window: judge every change against the profile,
 * render, and store the PDF and its files under Object Lock. Nothing is collected here; a
 * period with no evidence is refused rather than rendered as an empty "all passed" pack.
 */
export interface BuildPackDeps {
  readonly store: EvidenceStore;
  readonly index: EvidenceIndex;
  readonly render: PackRenderer;
}

export type { BuildPackRequest, BuiltPack, PackRenderer };

export function buildWindowPack(deps: BuildPackDeps, request: BuildPackRequest): Promise<BuiltPack> {
  return judgeAndRender(deps, request);
}
