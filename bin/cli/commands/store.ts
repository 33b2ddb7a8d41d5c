import { Command } from 'commander';
import { storeProvisioner } from '../../../lambdas/adapters/store-init.ts';
import { initStore, LOCK_MODES, type LockMode } from '../../../lambdas/app/init-store.ts';
import type { CliContext, ExitStatus } from '../context.ts';
import { addJsonOption, addStoreOption, positiveInteger, storeUrlOf, UsageError } from '../options.ts';
import type { Reporter } from '../output.ts';

interface StoreInitOptions {
  readonly store: string;
  readonly lockMode?: string;
  readonly retentionDays?: string;
  readonly json?: boolean;
}

/** `cm01 store init`: create the bucket and table (or the local folder) if absent; check them if present. */
export function storeCommand(cli: CliContext): Command {
  const store = new Command('store')
    .summary('set up a store')
    .description('Set up or check an evidence store.');
  const init = new Command('init')
    .summary('create the store if absent, check it if present')
    .description(
      'Create the bucket (versioning + Object Lock + default retention) and the index table if absent; ' +
        'check them if present. Idempotent; refuses a bucket that exists without Object Lock or versioning. ' +
        'For local:DIR, the folder layout.',
    );
  addStoreOption(init, true);
  init
    .option('--lock-mode <MODE>', `Object Lock mode, ${LOCK_MODES.join(' or ')} (default COMPLIANCE)`)
    .option('--retention-days <N>', 'default retention of every evidence version, days (default 365)');
  addJsonOption(init);
  init.action(cli.action(storeInit));
  return store.addCommand(init);
}

async function storeInit(options: StoreInitOptions, reporter: Reporter): Promise<ExitStatus> {
  const url = storeUrlOf(options);
  const lockMode = options.lockMode ?? 'COMPLIANCE';
  if (!(LOCK_MODES as readonly string[]).includes(lockMode)) {
    throw new UsageError('--lock-mode', `"${lockMode}" is not COMPLIANCE or GOVERNANCE`);
  }
  const retentionDays = positiveInteger(options.retentionDays, '--retention-days') ?? 365;
  if (retentionDays > 36_500) {
    throw new UsageError('--retention-days', `${retentionDays} is more than 36500 days`);
  }
  const report = await initStore(storeProvisioner(url), { lockMode: lockMode as LockMode, retentionDays });
  reporter.result(
    [
      ...report.created.map((c) => `created ${c}`),
      ...report.checked.map((c) => `checked ${c}`),
      `store ready: ${report.store}`,
    ],
    report,
  );
  return 0;
}
