import { parseArgs } from 'node:util';
import { monthWindow, rangeWindow, type Window } from '../../lambdas/core/window.ts';
import { InputError } from '../../lambdas/errors.ts';

/** A usage error: exit status 2 (cli.md). */
export class UsageError extends InputError {
  override name = 'UsageError';
}

export const OPTIONS = {
  period: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  profile: { type: 'string' },
  store: { type: 'string' },
  'github-world': { type: 'string' },
  org: { type: 'string' },
  kinds: { type: 'string' },
  repos: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  'lock-mode': { type: 'string' },
  'retention-days': { type: 'string' },
  'url-only': { type: 'boolean' },
  expires: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

export type OptionName = keyof typeof OPTIONS;
export type ParsedOptions = {
  [K in OptionName]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string;
};

export interface ParsedCommandLine {
  readonly positionals: string[];
  readonly options: ParsedOptions;
}

export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
    return { positionals, options: values as ParsedOptions };
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError('command line', message.replace(/\. To specify a positional.*$/s, ''), {
      cause: error,
    });
  }
}

/** Options a command accepts; any other given option is a usage error naming it. */
export function allowOnly(options: ParsedOptions, command: string, allowed: readonly OptionName[]): void {
  for (const name of Object.keys(options) as OptionName[]) {
    if (name === 'help' || name === 'json') continue;
    if (!allowed.includes(name)) throw new UsageError(`--${name}`, `not an option of \`cm01 ${command}\``);
  }
}

/** `--period YYYY-MM` or `--from ISO --to ISO`; undefined when neither is given. */
export function windowFromOptions(options: ParsedOptions): Window | undefined {
  const { period, from, to } = options;
  if (period !== undefined && (from !== undefined || to !== undefined)) {
    throw new UsageError('--period', 'give either --period or --from/--to, not both');
  }
  if (period !== undefined) return guard(() => monthWindow(period));
  if (from === undefined && to === undefined) return undefined;
  if (from === undefined) throw new UsageError('--from', 'missing: --to needs --from');
  if (to === undefined) throw new UsageError('--to', 'missing: --from needs --to');
  return guard(() => rangeWindow(from, to));
}

export function listOption(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

export function positiveInteger(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) <= 0)
    throw new UsageError(field, `"${value}" is not a positive whole number`);
  return Number(value);
}

/** Turn an InputError from window parsing into a usage error (exit 2). */
function guard<T>(make: () => T): T {
  try {
    return make();
  } catch (error: unknown) {
    if (error instanceof InputError && !(error instanceof UsageError)) {
      throw new UsageError(error.field, error.message.slice(error.field.length + 2), { cause: error });
    }
    throw error;
  }
}
