import { Cm01Error, InputError, isMalformedInput } from '../lambdas/errors.ts';
import { describeCauseSafely, redactSecrets } from '../lambdas/redact-secrets.ts';
import { TOOL_ID } from '../lambdas/version.ts';
import { parseCommandLine, UsageError } from './cli/args.ts';
import {
  type ExitStatus,
  runCollect,
  runPack,
  runPacks,
  runRun,
  runStore,
  runVerify,
} from './cli/commands.ts';
import { Reporter } from './cli/output.ts';

const HELP = `cm01 — SOC 2 CM-01 change-management evidence: collect from GitHub, judge, render the pack

Usage:
  cm01 run      [window] [--profile ID] [--store URL] [source] [--out DIR]   collect + pack (the main job)
  cm01 collect  [window] [--store URL] [source] [--kinds LIST] [--repos LIST]
  cm01 pack     [window] [--profile ID] [--store URL] [--out DIR] [--org ORG]
  cm01 verify   PACK.pdf [--store URL]
  cm01 store    init --store URL [--lock-mode COMPLIANCE|GOVERNANCE] [--retention-days N]
  cm01 packs    list [--store URL]
  cm01 packs    download --period YYYY-MM [--profile ID] [--store URL] [--out DIR] [--url-only --expires SECONDS]

Window:   --period YYYY-MM (a calendar month, UTC)  or  --from ISO --to ISO (half-open [from, to))
          default: the month before the source's current time
Source:   --github-world FILE (the local GitHub emulator on a github-world/1 file)
          --org ORG (github.com, token in GITHUB_TOKEN or GitHub App settings)
          run with neither: the bundled demo organisation
Profile:  clerk-cm01 (default; v1.0 before 2026-04-29, v1.1 from then), clicki, or a profile file
Store:    local:DIR (default local:./.cm01; not immutable) or s3://BUCKET?table=TABLE
          (endpoints from AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_DYNAMODB)
Kinds:    pull-requests,commits,deployments,overrides,protection,teams (default all)
Output:   --out DIR (default ./out): cm01-<org>-<period>-<profile>.pdf, .manifest.json,
          .population.csv, .exceptions.csv
          --json prints a machine-readable summary instead of text

Exit status: 0 done (exceptions in a pack are findings, not errors), 1 failed, 2 usage error.
`;

const COMMANDS: Record<string, (ctx: Parameters<typeof runRun>[0]) => Promise<ExitStatus>> = {
  run: runRun,
  collect: runCollect,
  pack: runPack,
  verify: runVerify,
  store: runStore,
  packs: runPacks,
};

/** How many positional arguments each command takes (`verify PACK.pdf`, `store init`, `packs list`). */
const POSITIONALS_TAKEN: Record<string, number> = { verify: 1, store: 1, packs: 1 };

async function main(argv: readonly string[]): Promise<number> {
  let reporter = new Reporter(argv.includes('--json'));
  try {
    const { positionals, options } = parseCommandLine(argv);
    reporter = new Reporter(Boolean(options.json));
    if (options.version) {
      process.stdout.write(`${TOOL_ID}\n`);
      return 0;
    }
    const [command, ...rest] = positionals;
    if (options.help || command === undefined || command === 'help') {
      process.stdout.write(HELP);
      return command === undefined && !options.help ? 2 : 0;
    }
    const run = COMMANDS[command];
    if (!run)
      throw new UsageError(command, `unknown command (commands: ${Object.keys(COMMANDS).join(', ')})`);
    const stray = rest[POSITIONALS_TAKEN[command] ?? 0];
    if (stray !== undefined) throw new UsageError(stray, `unexpected argument to \`cm01 ${command}\``);
    return await run({ positionals: rest, options, reporter });
  } catch (error: unknown) {
    return report(reporter, error);
  }
}

function report(reporter: Reporter, error: unknown): number {
  if (error instanceof UsageError || isMalformedInput(error)) {
    reporter.error(`${error.message}\nRun \`cm01 --help\` for usage.`);
    return 2;
  }
  if (error instanceof InputError || error instanceof Cm01Error) {
    reporter.error(redactSecrets(error.message));
    if (process.env.CM01_DEBUG && error.cause) process.stderr.write(`${describeCauseSafely(error.cause)}\n`);
    return 1;
  }
  // Never a stack trace for a person: the message, and the whole error only under CM01_DEBUG.
  reporter.error(
    redactSecrets(`unexpected failure: ${error instanceof Error ? error.message : String(error)}`),
  );
  if (process.env.CM01_DEBUG) process.stderr.write(`${describeCauseSafely(error)}\n`);
  return 1;
}

process.exitCode = await main(process.argv.slice(2));
