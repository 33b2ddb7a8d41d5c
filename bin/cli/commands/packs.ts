import { resolve } from 'node:path';
import { Command } from 'commander';
import { downloadPack, MAX_URL_SECONDS, packDownloadUrls } from '../../../lambdas/app/download-pack.ts';
import { listPacks } from '../../../lambdas/app/list-packs.ts';
import { DEFAULT_PROFILE_ID } from '../../../lambdas/core/shipped-profiles.ts';
import { openReadableStore } from '../compose.ts';
import type { CliContext, ExitStatus } from '../context.ts';
import { assertWritableFolder, CreatedFolders, writeFilesAtomically } from '../files.ts';
import {
  addJsonOption,
  addOutOption,
  addStoreOption,
  asUsage,
  positiveInteger,
  type StoreOptions,
  storeUrlOf,
  UsageError,
  windowFromOptions,
} from '../options.ts';
import type { Reporter } from '../output.ts';

interface ListOptions extends StoreOptions {
  readonly json?: boolean;
}

interface DownloadOptions extends StoreOptions {
  readonly period: string;
  readonly profile?: string;
  readonly org?: string;
  readonly out?: string;
  readonly urlOnly?: boolean;
  readonly expires?: string;
  readonly json?: boolean;
}

/** `cm01 packs list | download`: the packs a store holds, as an auditor reads them. */
export function packsCommand(cli: CliContext): Command {
  const packs = new Command('packs')
    .summary('list or download stored packs')
    .description('The packs a store holds.');

  const list = new Command('list')
    .summary('list the stored packs')
    .description(
      'List the stored packs, newest period last; a pack rendered from a failed collection is marked INCOMPLETE.',
    );
  addStoreOption(list);
  addJsonOption(list);
  list.action(cli.action(listCommand));

  const download = new Command('download')
    .summary('download a stored pack, or presigned URLs to it')
    .description(
      'Download the four files of a stored pack (PDF, manifest, population, exceptions), or print time-limited URLs.',
    )
    .requiredOption('--period <YYYY-MM>', 'the month of the pack')
    .option('--profile <ID>', `the profile id of the pack (default ${DEFAULT_PROFILE_ID})`);
  addStoreOption(download);
  addOutOption(download);
  download
    .option('--org <ORG>', 'the organisation, when several have packs for the period')
    .option('--url-only', 'print presigned URLs instead of downloading (S3 stores)')
    .option('--expires <SECONDS>', `how long the URLs stay valid, at most ${MAX_URL_SECONDS} (default 3600)`);
  addJsonOption(download);
  download.action(cli.action(downloadCommand));

  return packs.addCommand(list).addCommand(download);
}

async function listCommand(options: ListOptions, reporter: Reporter): Promise<ExitStatus> {
  const store = await openReadableStore(storeUrlOf(options));
  const packs = await listPacks(store);
  const lines =
    packs.length === 0
      ? [`no packs in ${store.location}`]
      : packs.flatMap((p) => [
          `${p.period}/${p.name}${p.incomplete ? '  INCOMPLETE' : ''}${p.issues.length > 1 ? ` (${p.issues.length} issues, all retained)` : ''}`,
          ...p.issues.map(
            (i, n) =>
              `    issue ${n + 1}: version ${i.versionId} of ${i.lastModified}${i.sealSha256 ? `, seal ${i.sealSha256}` : ', not sealed'}` +
              `${i.supersedes ? `; supersedes ${i.supersedes.sealSha256} (${i.supersedes.reason})` : ''}${n === p.issues.length - 1 ? ' [current]' : ''}`,
          ),
        ]);
  reporter.result(lines, { packs });
  return 0;
}

async function downloadCommand(options: DownloadOptions, reporter: Reporter): Promise<ExitStatus> {
  const window = windowFromOptions({ period: options.period }) as NonNullable<
    ReturnType<typeof windowFromOptions>
  >;
  const storeUrl = storeUrlOf(options);
  const query = {
    window,
    profileId: options.profile ?? DEFAULT_PROFILE_ID,
    ...(options.org ? { org: options.org } : {}),
  };
  if (options.expires !== undefined && !options.urlOnly) {
    throw new UsageError('--expires', 'only with --url-only');
  }
  if (options.urlOnly) {
    const expires = positiveInteger(options.expires, '--expires') ?? 3600;
    if (expires > MAX_URL_SECONDS)
      throw new UsageError('--expires', `at most ${MAX_URL_SECONDS} seconds (7 days), as S3 allows`);
    const store = await openReadableStore(storeUrl);
    const urls = await packDownloadUrls(store, query, expires);
    reporter.result(urls, { urls, expiresSeconds: expires });
    return 0;
  }
  const out = await assertWritableFolder(resolve(options.out ?? 'out'), '--out');
  const created = new CreatedFolders();
  await created.watch(out);
  try {
    const store = await openReadableStore(storeUrl);
    const files = await asUsageIfAmbiguous(() => downloadPack(store, query));
    const written = await writeFilesAtomically(out, files);
    reporter.result(written, { files: written });
    return 0;
  } catch (error: unknown) {
    await created.sweep();
    throw error;
  }
}

/** Several organisations' packs for one period: the user must name one (a usage error, as before). */
async function asUsageIfAmbiguous<T>(make: () => Promise<T>): Promise<T> {
  try {
    return await make();
  } catch (error: unknown) {
    if (error instanceof Error && 'field' in error && error.field === '--org')
      return asUsage(() => {
        throw error;
      });
    throw error;
  }
}
