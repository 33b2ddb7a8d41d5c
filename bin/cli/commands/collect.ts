import { Command } from 'commander';
import { COLLECT_KINDS, collectWindow } from '../../../lambdas/app/collect-window.ts';
import { openCollectionInput } from '../collection-input.ts';
import { openWritableStore } from '../compose.ts';
import type { CliContext, ExitStatus } from '../context.ts';
import { CreatedFolders } from '../files.ts';
import {
  addJsonOption,
  addProfileOption,
  addScopeOptions,
  addSourceOptions,
  addStoreOption,
  addWindowOptions,
  type CollectScopeOptions,
  type ProfileOptions,
  type SourceOptions,
  type StoreOptions,
  type WindowOptions,
} from '../options.ts';
import type { Reporter } from '../output.ts';
import { collectionProgress } from '../progress.ts';
import { formatCounts, gapLines, missingLines } from '../summaries.ts';

interface CollectOptions
  extends WindowOptions,
    StoreOptions,
    ProfileOptions,
    SourceOptions,
    CollectScopeOptions {
  readonly json?: boolean;
}

/** `cm01 collect`: snapshot a window's evidence into the store, nothing judged. */
export function collectCommand(cli: CliContext): Command {
  const command = new Command('collect')
    .summary('collect a window into the store')
    .description(
      'Collect a window from GitHub (or the emulator) into the store. What is collected follows the ' +
        "profile's plan (its teams and emergency label; default clerk-cm01). Exits 1, naming each, when " +
        'any source could not be read; what was read stays stored.',
    );
  addWindowOptions(command);
  addStoreOption(command);
  addSourceOptions(command);
  addScopeOptions(command);
  addProfileOption(command);
  addJsonOption(command);
  return command.action(cli.action(collect));
}

async function collect(options: CollectOptions, reporter: Reporter): Promise<ExitStatus> {
  const { storeUrl, kinds, repos, profile, source, window } = await openCollectionInput(
    options,
    reporter,
    false,
  );
  const created = new CreatedFolders();
  try {
    const ports = await openWritableStore(storeUrl, created);
    const outcome = await collectWindow(
      {
        ...ports,
        github: source.github,
        sources: source.sources,
        org: source.org,
        clock: () => source.now,
        progress: collectionProgress(reporter, window.label, kinds ?? COLLECT_KINDS),
      },
      {
        window,
        profile: profile.profile,
        ...(repos ? { repos } : {}),
        ...(kinds ? { kinds } : {}),
        onBudgetShort: (text) => reporter.notice(text),
      },
    );
    const { summary, missing } = outcome;
    const failed = missing.length > 0;
    reporter.result(
      [
        `collected ${window.label} from ${source.description}: ${formatCounts(summary)}`,
        ...gapLines(summary.gaps),
        ...missingLines(missing),
        ...(failed ? [`FAILED: ${missing.length} source(s) could not be read (run ${summary.runId})`] : []),
      ],
      { ...summary, missing },
      `cm01 collect: ${window.label} from ${source.description}: ${formatCounts(summary)}` +
        (failed ? `; FAILED: ${missing.length} source(s) could not be read` : ''),
    );
    return failed ? 1 : 0;
  } catch (error: unknown) {
    await created.sweep();
    throw error;
  } finally {
    await source.close();
  }
}
