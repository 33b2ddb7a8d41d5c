import { type Command, Option } from 'commander';
import { DEFAULT_STORE_URL, parseStoreUrl } from '../../lambdas/adapters/open-store.ts';
import { COLLECT_KINDS, type CollectKind } from '../../lambdas/app/collect-window.ts';
import { resolveProfile } from '../../lambdas/core/profile-files.ts';
import { DEFAULT_PROFILE_ID, type LoadedProfile } from '../../lambdas/core/shipped-profiles.ts';
import { monthWindow, rangeWindow, type Window } from '../../lambdas/core/window.ts';
import { InputError } from '../../lambdas/errors.ts';

/**
 * The options commands share (cli.md), declared once, and the checks that turn their values
 * into typed requests. A malformed value is a `UsageError` (exit 2) naming the option, raised
 * before anything is opened, collected or written.
 */

/** A usage error: exit status 2 (cli.md). */
export class UsageError extends InputError {
  override name = 'UsageError';
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(field, message, { ...options, malformed: true });
  }
}

/** Run `make`; an `InputError` it throws about a value the user typed becomes a usage error. */
export function asUsage<T>(make: () => T): T {
  try {
    return make();
  } catch (error: unknown) {
    if (error instanceof InputError && !(error instanceof UsageError)) {
      throw new UsageError(error.field, error.message.slice(error.field.length + 2), { cause: error });
    }
    throw error;
  }
}

export interface WindowOptions {
  readonly period?: string;
  readonly from?: string;
  readonly to?: string;
}

export function addWindowOptions(command: Command): Command {
  return command
    .option('--period <YYYY-MM>', 'a calendar month, UTC')
    .option(
      '--from <ISO>',
      'start of a half-open window [from, to); a date or time, UTC unless it has an offset',
    )
    .option('--to <ISO>', 'end of the window (exclusive)');
}

/** `--period YYYY-MM` or `--from ISO --to ISO`; undefined when neither is given. */
export function windowFromOptions(options: WindowOptions): Window | undefined {
  const { period, from, to } = options;
  if (period !== undefined && (from !== undefined || to !== undefined)) {
    throw new UsageError('--period', 'give either --period or --from/--to, not both');
  }
  if (period !== undefined) return asUsage(() => monthWindow(period));
  if (from === undefined && to === undefined) return undefined;
  if (from === undefined) throw new UsageError('--from', 'missing: --to needs --from');
  if (to === undefined) throw new UsageError('--to', 'missing: --from needs --to');
  return asUsage(() => rangeWindow(from, to));
}

export interface StoreOptions {
  readonly store?: string;
}

export function addStoreOption(command: Command, required = false): Command {
  const option = new Option(
    '--store <URL>',
    `local:DIR (default ${DEFAULT_STORE_URL}; not immutable) or s3://BUCKET?table=TABLE`,
  );
  return command.addOption(required ? option.makeOptionMandatory() : option);
}

/** The store URL, its form checked (a usage error) before anything is opened. */
export function storeUrlOf(options: StoreOptions): string {
  const url = options.store ?? DEFAULT_STORE_URL;
  asUsage(() => parseStoreUrl(url));
  return url;
}

export interface ProfileOptions {
  readonly profile?: string;
}

export function addProfileOption(command: Command): Command {
  return command.option(
    '--profile <ID|FILE>',
    `a shipped profile (clerk-cm01, clicki) or a profile file (default ${DEFAULT_PROFILE_ID})`,
  );
}

/**
 * The profile named by `--profile`: a word that is no shipped id is a usage error (a typo); a
 * file that cannot be read or is not a valid profile is a failure naming the bad field.
 */
export async function profileOf(options: ProfileOptions): Promise<LoadedProfile> {
  const value = options.profile ?? DEFAULT_PROFILE_ID;
  if (/[/\\.]/.test(value)) return resolveProfile(value);
  try {
    return await resolveProfile(value);
  } catch (error: unknown) {
    return asUsage(() => {
      throw error;
    });
  }
}

export interface SourceOptions {
  readonly githubWorld?: string;
  readonly org?: string;
  readonly linearUrl?: string;
  readonly betterStackUrl?: string;
}

export function addSourceOptions(command: Command): Command {
  return command
    .option(
      '--github-world <FILE>',
      'collect from the local GitHub emulator serving this github-world/1 file',
    )
    .option('--org <ORG>', 'collect from github.com (token in GITHUB_TOKEN, or GitHub App settings)')
    .option(
      '--linear-url <URL>',
      "Linear's GraphQL endpoint, with --org (key in LINEAR_API_KEY; default https://api.linear.app/graphql)",
    )
    .option(
      '--better-stack-url <URL>',
      "Better Stack's Uptime API, with --org (token in BETTER_STACK_API_TOKEN; default https://uptime.betterstack.com/api/v2)",
    );
}

export interface CollectScopeOptions {
  readonly kinds?: string;
  readonly repos?: string;
}

export function addScopeOptions(command: Command): Command {
  return command
    .option('--kinds <LIST>', `comma-separated, of ${COLLECT_KINDS.join(',')} (default all)`)
    .option('--repos <LIST>', 'comma-separated repository names (default every repository)');
}

export function kindsOf(options: CollectScopeOptions): CollectKind[] | undefined {
  const kinds = listOption(options.kinds, '--kinds');
  if (kinds === undefined) return undefined;
  for (const kind of kinds) {
    if (!(COLLECT_KINDS as readonly string[]).includes(kind)) {
      throw new UsageError('--kinds', `unknown kind "${kind}" (kinds: ${COLLECT_KINDS.join(', ')})`);
    }
  }
  return kinds as CollectKind[];
}

export function reposOf(options: CollectScopeOptions): string[] | undefined {
  return listOption(options.repos, '--repos');
}

function listOption(value: string | undefined, field: string): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  if (items.length === 0) throw new UsageError(field, 'names nothing');
  return items;
}

export function addOutOption(command: Command): Command {
  return command.option('--out <DIR>', 'where the pack files are written (default ./out)');
}

export function addJsonOption(command: Command): Command {
  return command.option('--json', 'print a machine-readable summary instead of text');
}

export function positiveInteger(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) <= 0)
    throw new UsageError(field, `"${value}" is not a positive whole number`);
  return Number(value);
}
