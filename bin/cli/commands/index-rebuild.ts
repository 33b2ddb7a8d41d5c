import { Command } from 'commander';
import { rebuildIndex } from '../../../lambdas/app/rebuild-index.ts';
import { openReadableStore, openWritableStore } from '../compose.ts';
import type { CliContext, ExitStatus } from '../context.ts';
import { CreatedFolders } from '../files.ts';
import { addJsonOption, addStoreOption, storeUrlOf } from '../options.ts';
import type { Reporter } from '../output.ts';

interface IndexRebuildOptions {
  readonly store?: string;
  readonly org?: string;
  readonly json?: boolean;
}

/** `cm01 index rebuild`: recreate the index from the bucket (the index is a cache, the bucket the truth). */
export function indexCommand(cli: CliContext): Command {
  const index = new Command('index')
    .summary('look after the index')
    .description('The DynamoDB (or local) index is a cache of the bucket; these commands maintain it.');
  const rebuild = new Command('rebuild')
    .summary('recreate the index from the bucket')
    .description(
      'Read the current version of every evidence object in the store and write the index row the ' +
        'collectors would have written for it (conditional writes; a second run writes nothing).',
    );
  addStoreOption(rebuild);
  rebuild.option('--org <ORG>', 'only this organisation (default every organisation in the bucket)');
  addJsonOption(rebuild);
  rebuild.action(cli.action(indexRebuild));
  return index.addCommand(rebuild);
}

async function indexRebuild(options: IndexRebuildOptions, reporter: Reporter): Promise<ExitStatus> {
  // A local store that is not there is refused, not created: there is nothing to rebuild from.
  await openReadableStore(storeUrlOf(options));
  const { store, index } = await openWritableStore(storeUrlOf(options), new CreatedFolders());
  reporter.startProgress('rebuilding the index', 0, 'objects read');
  const result = await rebuildIndex(
    { store, index },
    {
      ...(options.org ? { org: options.org } : {}),
      onProgress: ({ read, total }) => {
        reporter.setProgressTotal(total);
        reporter.progress({ value: read, items: 1 });
      },
    },
  );
  reporter.stopProgress();
  const brief = `rebuilt the index of ${store.location} from ${result.read} objects: ${result.written} rows written, ${result.unchanged} unchanged${result.skipped.length > 0 ? `, ${result.skipped.length} objects skipped` : ''}`;
  reporter.result(
    [brief, ...result.skipped.map((s) => `skipped ${s.key}: ${s.reason}`)],
    { store: store.location, index: index.location, ...result },
    `cm01 index rebuild: ${brief}`,
  );
  return 0;
}
