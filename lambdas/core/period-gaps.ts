import { canonicalJson } from '../evidence/canonical-json.ts';
import type { CollectionRunData } from '../evidence/documents.ts';
import { type Gap, WITHHELD_BY_KIND, WITHHELD_EVIDENCE, type WithheldEvidence } from '../evidence/gaps.ts';
import type { PeriodEvidence } from './period-evidence.ts';
import { compareText } from './population.ts';

/**
 * The gaps that still stand for a period: every gap the collector runs recorded (a window left
 * open is the run's window), minus those a later run healed — it was asked for the same kind and
 * repository over the gap's whole window and recorded no gap of that type there. A transient
 * failure on the 2nd, collected again on the 3rd, no longer makes the pack unknown.
 */
export function standingGaps(evidence: Pick<PeriodEvidence, 'runs'>): Gap[] {
  const runs = [...evidence.runs].sort(
    (a, b) => compareText(a.doc.data.finishedAt, b.doc.data.finishedAt) || compareText(a.ref.key, b.ref.key),
  );
  const seen = new Map<string, Gap>();
  runs.forEach((run, position) => {
    for (const gap of gapsOfRun(run.doc.data)) {
      const healed = runs
        .slice(position + 1)
        .some(
          (later) =>
            Date.parse(later.doc.data.finishedAt) > Date.parse(run.doc.data.finishedAt) &&
            heals(later.doc.data, gap),
        );
      if (!healed) seen.set(canonicalJson(gap), gap);
    }
  });
  return [...seen.values()].sort(
    (a, b) =>
      compareText(a.withholds, b.withholds) ||
      compareText(a.repo ?? '', b.repo ?? '') ||
      compareText(a.window?.from ?? '', b.window?.from ?? '') ||
      compareText(a.reason, b.reason),
  );
}

/** A run's gaps with their windows filled in; errors of runs written before failures were typed become gaps. */
function gapsOfRun(run: CollectionRunData): Gap[] {
  const window = { from: run.window.from, to: run.window.to };
  const gaps = run.gaps.map((gap) => ({ ...gap, window: gap.window ?? window }));
  if (run.kinds !== undefined) return gaps; // Typed runs recorded their failures as gaps already.
  for (const error of run.errors) {
    const kind = Object.keys(WITHHELD_BY_KIND).find((name) => error.message.startsWith(`${name}: `));
    const withheld: readonly WithheldEvidence[] = kind
      ? WITHHELD_BY_KIND[kind as keyof typeof WITHHELD_BY_KIND]
      : WITHHELD_EVIDENCE;
    for (const withholds of withheld) {
      gaps.push({ withholds, repo: error.repo, window, reason: `collector error: ${error.message}` });
    }
  }
  return gaps;
}

/**
 * The source a gap of Linear or Better Stack evidence needs read again: a later run asked for the
 * kind but without the source configured read nothing, and heals nothing.
 */
const ENRICHER_OF: Partial<Record<WithheldEvidence, 'linear' | 'better-stack'>> = {
  'linear-tickets': 'linear',
  'better-stack-incidents': 'better-stack',
  'better-stack-on-call': 'better-stack',
};

/** Whether a later run read the gap's evidence again, whole, over the gap's window. */
function heals(later: CollectionRunData, gap: Gap): boolean {
  const kinds = later.kinds;
  // A run's status does not matter here (one that ran out of budget in every repository it read
  // is `failed`, yet read some kinds whole): what it did not read it recorded as its own gaps.
  if (kinds === undefined) return false;
  const enricher = ENRICHER_OF[gap.withholds];
  if (
    enricher &&
    !(later.enrichers ?? []).some((run) => run.source === enricher && run.status === 'consulted')
  )
    return false;
  const asked = kinds.some((kind) =>
    (WITHHELD_BY_KIND[kind as keyof typeof WITHHELD_BY_KIND] as readonly string[] | undefined)?.includes(
      gap.withholds,
    ),
  );
  if (!asked) return false;
  if (gap.repo !== null && !later.repos.includes(gap.repo)) return false;
  const window = gap.window;
  if (
    window &&
    (Date.parse(later.window.from) > Date.parse(window.from) ||
      Date.parse(later.window.to) < Date.parse(window.to))
  )
    return false;
  // The later run's account of the window replaces the gap: what it could not read there it
  // recorded as gaps of its own, which stand in their turn (so a failure that happened again
  // still stands). Requiring it to record no gap of the type at all would keep a gap for the
  // whole month standing when the later run read all of it but a part GitHub no longer keeps
  // (rule suites reach back one month): a budget deferral resumed on the 3rd would never heal.
  return true;
}
