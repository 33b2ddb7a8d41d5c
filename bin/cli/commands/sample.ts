import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { renderSampleSummary } from '../../../lambdas/adapters/pdf/render-sample.ts';
import { drawAuditSample } from '../../../lambdas/app/sample.ts';
import type { Window } from '../../../lambdas/core/window.ts';
import { openWritableStore } from '../compose.ts';
import type { CliContext, ExitStatus } from '../context.ts';
import { assertWritableFolder, CreatedFolders } from '../files.ts';
import {
  addJsonOption,
  addOutOption,
  addProfileOption,
  addStoreOption,
  type ProfileOptions,
  positiveInteger,
  profileOf,
  type StoreOptions,
  storeUrlOf,
  UsageError,
  windowFromOptions,
} from '../options.ts';
import type { Reporter } from '../output.ts';

interface SampleOptions extends StoreOptions, ProfileOptions {
  readonly period?: string;
  readonly size?: string;
  readonly seed?: string;
  readonly control?: string;
  readonly org?: string;
  readonly out?: string;
  readonly json?: boolean;
}

/** `cm01 sample`: a reproducible audit sample of a sealed pack's population, with a bundle per item. */
export function sampleCommand(cli: CliContext): Command {
  const command = new Command('sample')
    .summary("draw a reproducible audit sample of a sealed pack's population")
    .description(
      "Draw a sample of the sealed pack's population (the seed printed and stored), and write a bundle " +
        'per item: its raw evidence objects (key, version, SHA-256), its verdicts with reasons and a ' +
        'one-page PDF summary. The sample and its seed are stored under Object Lock and named by the ' +
        'next verify. Default size by population size (docs/verification.md).',
    )
    .option('--period <YYYY-MM>', 'the month whose pack is sampled')
    .option('--size <N>', 'how many changes (default by population size)')
    .option('--seed <S>', 'the seed (letters, digits, . _ -; default a new one, printed)')
    .option('--control <ID>', 'sample only changes to which this control applies')
    .option('--org <ORG>', 'the organisation, when the store holds packs of several');
  addProfileOption(command);
  addStoreOption(command);
  addOutOption(command);
  addJsonOption(command);
  return command.action(cli.action(sample));
}

async function sample(options: SampleOptions, reporter: Reporter): Promise<ExitStatus> {
  if (!options.period) throw new UsageError('--period', 'missing: cm01 sample --period YYYY-MM');
  const window = windowFromOptions({ period: options.period }) as Window;
  if (options.seed !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(options.seed)) {
    throw new UsageError('--seed', 'letters, digits, ".", "_" or "-", at most 64');
  }
  const size = positiveInteger(options.size, '--size');
  const profile = await profileOf(options);
  const created = new CreatedFolders();
  try {
    const out = await assertWritableFolder(options.out ?? 'out', '--out');
    await created.watch(out);
    const { store, index } = await openWritableStore(storeUrlOf(options), created);
    const result = await drawAuditSample(
      { store, index, renderSummary: renderSampleSummary },
      {
        period: window.label,
        profile,
        ...(options.org ? { org: options.org } : {}),
        ...(size !== undefined ? { size } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(options.control !== undefined ? { control: options.control } : {}),
      },
    );
    const written = await writeBundle(out, result.bundleName, result.files);
    const s = result.sample;
    const bundle = join(out, result.bundleName);
    reporter.result(
      [
        `sampled ${s.size} of ${s.populationSize} changes of ${s.org} ${s.period} (${s.profile}${s.control ? `, ${s.control} applicable` : ''}) with seed ${s.seed}` +
          (s.sizeSource === 'default' ? ' (default size by population)' : ''),
        `stored ${result.stored.key} (version ${result.stored.versionId})`,
        `bundle: ${bundle} (${written.length} files)`,
      ],
      { ...s, stored: result.stored, bundle },
      `cm01 sample: ${s.size} of ${s.populationSize}, seed ${s.seed}; ${result.bundleName}`,
    );
    return 0;
  } catch (error: unknown) {
    await created.sweep();
    throw error;
  }
}

/** Write a bundle folder under a temporary name, then rename it: a failure leaves no half bundle. */
async function writeBundle(
  out: string,
  name: string,
  files: readonly { path: string; bytes: Uint8Array }[],
): Promise<string[]> {
  const temp = join(out, `.${name}.${process.pid}.tmp`);
  const final = join(out, name);
  try {
    for (const file of files) {
      const path = join(temp, file.path);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.bytes);
    }
    await rm(final, { recursive: true, force: true });
    await rename(temp, final);
  } catch (error: unknown) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  return files.map((f) => join(final, f.path));
}
