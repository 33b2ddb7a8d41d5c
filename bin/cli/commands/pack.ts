import { Command } from 'commander';
import { openPackSigner } from '../../../lambdas/adapters/open-signer.ts';
import { renderPack } from '../../../lambdas/adapters/pdf/render-pack.ts';
import { buildWindowPack } from '../../../lambdas/app/build-pack.ts';
import { previousMonth } from '../../../lambdas/core/window.ts';
import { openWritableStore } from '../compose.ts';
import type { CliContext, ExitStatus } from '../context.ts';
import { assertWritableFolder, CreatedFolders, writeFilesAtomically } from '../files.ts';
import {
  addJsonOption,
  addOutOption,
  addProfileOption,
  addStoreOption,
  addWindowOptions,
  type ProfileOptions,
  profileOf,
  type StoreOptions,
  storeUrlOf,
  type WindowOptions,
  windowFromOptions,
} from '../options.ts';
import type { Reporter } from '../output.ts';
import { packProgress } from '../progress.ts';
import { packBrief, packJson, packLines } from '../summaries.ts';

interface PackOptions extends WindowOptions, StoreOptions, ProfileOptions {
  readonly out?: string;
  readonly org?: string;
  readonly allowIncomplete?: boolean;
  readonly reason?: string;
  readonly json?: boolean;
}

/** `cm01 pack`: judge what the store holds for a window and store its pack; nothing collected. */
export function packCommand(cli: CliContext): Command {
  const command = new Command('pack')
    .summary('judge the stored evidence of a window and render its pack')
    .description(
      'Judge every change the store holds for a window against the profile, render the PDF pack and ' +
        'store it with its manifest, population and exceptions. Nothing is collected. When a stored ' +
        'collection of the window failed for some source and no later run read it again, it fails (exit 1) ' +
        'naming each, unless --allow-incomplete. Default window: the month before now.',
    );
  addWindowOptions(command);
  addProfileOption(command);
  addStoreOption(command);
  addOutOption(command);
  command.option('--org <ORG>', 'the organisation, when the store holds evidence of several');
  command.option(
    '--allow-incomplete',
    'when a stored collection of the window failed for some source and was not repaired, store a pack anyway, marked INCOMPLETE',
  );
  command.option(
    '--reason <TEXT>',
    "why the period's sealed pack is issued again (late evidence, a fixed rule); recorded in the new seal",
  );
  addJsonOption(command);
  return command.action(cli.action(pack));
}

async function pack(options: PackOptions, reporter: Reporter): Promise<ExitStatus> {
  const window = windowFromOptions(options) ?? previousMonth(new Date());
  const storeUrl = storeUrlOf(options);
  const profile = await profileOf(options);
  const created = new CreatedFolders();
  try {
    const out = await assertWritableFolder(options.out ?? 'out', '--out');
    await created.watch(out);
    const ports = await openWritableStore(storeUrl, created);
    const built = await buildWindowPack(
      { ...ports, render: renderPack, signer: await openPackSigner(storeUrl) },
      {
        window,
        profile,
        ...(options.org ? { org: options.org } : {}),
        allowIncomplete: Boolean(options.allowIncomplete),
        ...(options.reason ? { reissueReason: options.reason } : {}),
        onProgress: packProgress(reporter),
      },
    );
    const written = await writeFilesAtomically(out, built.files);
    reporter.result(
      packLines(built, written),
      packJson(built, written),
      `cm01 pack: ${packBrief(built, written)}`,
    );
    return 0;
  } catch (error: unknown) {
    await created.sweep();
    throw error;
  }
}
