import type { CollectKind, CollectProgress } from '../../lambdas/app/collect-window.ts';
import type { GitHubWait } from '../../lambdas/app/connect-github.ts';
import type { Reporter } from './output.ts';

/** Kinds read once for the organisation, not per repository. */
const ORGANISATION_KINDS: ReadonlySet<CollectKind> = new Set(['teams', 'tickets', 'incidents']);

/**
 * The progress bar of a collection, driven by the collectors' own progress events: one step per
 * kind of each repository (plus the organisation's teams), items counted as they are stored.
 */
export function collectionProgress(
  reporter: Reporter,
  label: string,
  kinds: readonly CollectKind[],
): (event: CollectProgress) => void {
  const perRepository = kinds.filter((kind) => !ORGANISATION_KINDS.has(kind)).length;
  const organisationSteps = kinds.includes('teams') ? 1 : 0;
  let started = false;
  return (event) => {
    switch (event.type) {
      case 'repo-started':
        if (!started) {
          started = true;
          reporter.startProgress(
            `collecting ${label}`,
            event.total * perRepository + organisationSteps,
            'steps',
            'items',
          );
        }
        reporter.progress({ detail: event.repo });
        return;
      case 'kind-started':
        reporter.progress({ detail: `${event.repo} ${event.kind}` });
        return;
      case 'item':
        reporter.progress({ items: 1 });
        return;
      case 'kind-finished':
        // Linear and Better Stack run only where configured: shown, not counted in the total.
        if (event.kind !== 'tickets' && event.kind !== 'incidents') reporter.progress({ advance: 1 });
        return;
      case 'repo-failed':
        reporter.progress({ detail: `${event.repo} failed` });
        return;
      default:
        return;
    }
  };
}

/** The stages of building a pack, as `buildPack` reports them. */
export function packProgress(reporter: Reporter): (text: string) => void {
  const stages = ['reading evidence', 'judging', 'rendering', 'storing'];
  let started = false;
  return (text) => {
    if (!started) {
      started = true;
      reporter.startProgress('building the pack', stages.length, 'stages');
    }
    const stage = stages.findIndex((s) => text.startsWith(s));
    reporter.progress({ ...(stage >= 0 ? { value: stage } : {}), detail: text });
  };
}

/**
 * GitHub's rate-limit waits, shown as they happen: why (which budget ran out, its limit as
 * GitHub's headers give it), until when, and a countdown — in the progress bar on a terminal,
 * as lines off one (every second for a short wait, every ten seconds or every minute for long
 * ones). Overlapping waits (several requests stopped by the same limit) show once.
 */
export function rateLimitCountdown(reporter: Reporter): (wait: GitHubWait) => void {
  let until = 0;
  let timer: NodeJS.Timeout | undefined;
  return (wait) => {
    const end = Date.parse(wait.until);
    if (end <= until) return;
    until = end;
    reporter.notice(`waiting ${clock(wait.seconds)} for GitHub: ${wait.reason}; going on at ${wait.until}`);
    if (timer) clearInterval(timer);
    const step = wait.seconds <= 15 ? 1 : wait.seconds <= 600 ? 10 : 60;
    timer = setInterval(() => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0) {
        clearInterval(timer);
        timer = undefined;
        reporter.progress({ detail: 'collecting again' });
        return;
      }
      if (reporter.interactive) reporter.progress({ detail: `waiting for GitHub: ${clock(left)} left` });
      else if (left % step === 0) reporter.notice(`  ${clock(left)} left`);
    }, 1000);
    // The countdown never keeps the process alive: the request waiting for the reset does.
    timer.unref();
  };
}

/** `4s`, `1:05`, `59:00`: seconds as a person reads a countdown. */
function clock(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, '0')}`;
}
