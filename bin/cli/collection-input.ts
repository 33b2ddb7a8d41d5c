import type { Window } from '../../lambdas/core/window.ts';
import { assertNotFuture, previousMonth } from '../../lambdas/core/window.ts';
import {
  type CollectScopeOptions,
  kindsOf,
  type ProfileOptions,
  profileOf,
  reposOf,
  type SourceOptions,
  type StoreOptions,
  storeUrlOf,
  type WindowOptions,
  windowFromOptions,
} from './options.ts';
import type { Reporter } from './output.ts';
import { rateLimitCountdown } from './progress.ts';
import { openSource, type Source } from './source.ts';

export interface CollectionInputOptions
  extends WindowOptions,
    StoreOptions,
    ProfileOptions,
    SourceOptions,
    CollectScopeOptions {}

/**
 * What `cm01 collect` and `cm01 run` read before anything is written: every value checked first,
 * then the source opened and the window settled on its clock (the month before, by default).
 * The caller closes the source; it is closed here when the window is refused.
 */
export async function openCollectionInput(
  options: CollectionInputOptions,
  reporter: Reporter,
  demoByDefault: boolean,
) {
  const requested = windowFromOptions(options);
  const storeUrl = storeUrlOf(options);
  const kinds = kindsOf(options);
  const repos = reposOf(options);
  const profile = await profileOf(options);
  const source: Source = await openSource({
    world: options.githubWorld,
    org: options.org,
    linearUrl: options.linearUrl,
    betterStackUrl: options.betterStackUrl,
    demoByDefault,
    onWait: rateLimitCountdown(reporter),
  });
  let window: Window;
  try {
    window = requested ?? previousMonth(source.now);
    assertNotFuture(window, source.now, options.period !== undefined ? '--period' : '--from');
  } catch (error) {
    await source.close();
    throw error;
  }
  return { storeUrl, kinds, repos, profile, source, window };
}
