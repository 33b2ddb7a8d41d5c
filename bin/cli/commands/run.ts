import { Command } from 'commander';
import { openPackSigner } from '../../../lambdas/adapters/open-signer.ts';
import { renderPack } from '../../../lambdas/adapters/pdf/render-pack.ts';
import { COLLECT_KINDS } from '../../../lambdas/app/collect-window.ts';
import { runPeriod } from '../../../lambdas/app/run-period.ts';
import { openCollectionInput } from '../collection-input.ts';
import { openWritableStore } from '../compose.ts';
import type { CliContext, ExitStatus } from '../context.ts';
import { assertWritableFolder, CreatedFolders, writeFilesAtomically } from '../files.ts';
import {
  addJsonOption,
  addOutOption,
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
import { collectionProgress, packProgress } from '../progress.ts';
import { formatCounts, gapLines, missingLines, packBrief, packJson, packLines } from '../summaries.ts';

interface RunOptions extends WindowOptions, StoreOptions, ProfileOptions, SourceOptions, CollectScopeOptions {
  readonly out?: string;
  readonly allowIncomplete?: boolean;
  readonly reason?: string;
  readonly json?: boolean;
}

/** `cm01 run`: collect the window, then judge, render and store its pack (the main job). */
export function runCommand(cli: CliContext): Command {
  const command = new Command('run')
    .summary('collect + pack: the main job')
    .description(
      'Collect a window from GitHub (or the emulator), then judge every change against the profile and ' +
        'store the PDF pack with its manifest, population and exceptions. If any source could not be ' +
        'read the run fails (exit 1) naming each, and no pack is stored, unless --allow-incomplete.',
    );
  addWindowOptions(command);
  addProfileOption(command);
  addStoreOption(command);
  addSourceOptions(command);
  addOutOption(command);
  addScopeOptions(command);
  command.option(
    '--allow-incomplete',
    'when the collection failed for some source, store a pack anyway, marked INCOMPLETE with every missing source listed',
  );
  command.option(
    '--reason <TEXT>',
    "why the period's sealed pack is issued again (late evidence, a fixed rule); recorded in the new seal",
  );
  addJsonOption(command);
  command.addHelpText(
    'after',
    "\nWith no source, the bundled demo organisation. Default window: the month before the source's current time.",
  );
  return command.action(cli.action(run));
}

async function run(options: RunOptions, reporter: Reporter): Promise<ExitStatus> {
  // Every value is checked before anything is opened, collected or written (openCollectionInput).
  const { storeUrl, kinds, repos, profile, source, window } = await openCollectionInput(
    options,
    reporter,
    true,
  );
  const created = new CreatedFolders();
  try {
    const out = await assertWritableFolder(options.out ?? 'out', '--out');
    await created.watch(out);
    const ports = await openWritableStore(storeUrl, created);
    const periodRun = await runPeriod(
      {
        ...ports,
        github: source.github,
        sources: source.sources,
        org: source.org,
        clock: () => source.now,
        render: renderPack,
        signer: await openPackSigner(storeUrl),
        progress: collectionProgress(reporter, window.label, kinds ?? COLLECT_KINDS),
      },
      {
        window,
        profile,
        allowIncomplete: Boolean(options.allowIncomplete),
        ...(options.reason ? { reissueReason: options.reason } : {}),
        ...(repos ? { repos } : {}),
        ...(kinds ? { kinds } : {}),
        onBudgetShort: (text) => reporter.notice(text),
        onCollected: () => reporter.stopProgress(),
        onPackProgress: packProgress(reporter),
      },
    );
    const { collection, pack } = periodRun;
    const written = await writeFilesAtomically(out, pack.files);
    const collected = `collected ${window.label} from ${source.description}: ${formatCounts(collection.summary)}`;
    reporter.result(
      [
        collected,
        ...gapLines(collection.summary.gaps),
        ...missingLines(collection.missing),
        ...packLines(pack, written),
      ],
      { collection: { ...collection.summary, missing: collection.missing }, pack: packJson(pack, written) },
      `cm01 run: collected ${formatCounts(collection.summary)}; ${packBrief(pack, written)}`,
    );
    return 0;
  } catch (error: unknown) {
    await created.sweep();
    throw error;
  } finally {
    await source.close();
  }
}
