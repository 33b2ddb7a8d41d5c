import { Command, CommanderError } from 'commander';
import { Cm01Error, isMalformedInput } from '../../lambdas/errors.ts';
import { describeCauses, redactSecrets } from '../../lambdas/redact-secrets.ts';
import { TOOL_ID } from '../../lambdas/version.ts';
import { CliContext } from './context.ts';

type MakeCommand = (cli: CliContext) => Command;

/**
 * The `cm01` program: one module per command under `commands/`, each a function that builds its
 * `Command` (options, help, action). Adding a command is one module and one line here.
 *
 * A command's module is loaded only when that command runs: between them they pull in the PDF
 * renderer, the AWS SDK, the GitHub client and emulator and the charts, seconds of start-up that
 * `cm01 verify` or a mistyped option should not pay. The overview (`cm01`, `--help`, `help`, an
 * unknown command) loads them all, in this order.
 */
const COMMANDS: Readonly<Record<string, () => Promise<MakeCommand>>> = {
  run: async () => (await import('./commands/run.ts')).runCommand,
  collect: async () => (await import('./commands/collect.ts')).collectCommand,
  pack: async () => (await import('./commands/pack.ts')).packCommand,
  verify: async () => (await import('./commands/verify.ts')).verifyCommand,
  store: async () => (await import('./commands/store.ts')).storeCommand,
  packs: async () => (await import('./commands/packs.ts')).packsCommand,
  index: async () => (await import('./commands/index-rebuild.ts')).indexCommand,
  sample: async () => (await import('./commands/sample.ts')).sampleCommand,
  room: async () => (await import('./commands/room.ts')).roomCommand,
};

/** The commands `argv` needs: the one it names, or every one for the overview and suggestions. */
async function commandsFor(argv: readonly string[]): Promise<MakeCommand[]> {
  const named = argv[0];
  const load = named !== undefined ? COMMANDS[named] : undefined;
  if (named !== undefined && Object.hasOwn(COMMANDS, named) && load) return [await load()];
  return Promise.all(Object.values(COMMANDS).map((load) => load()));
}

const GLOBAL_HELP_AFTER = `
Window:   --period YYYY-MM (a calendar month, UTC)  or  --from ISO --to ISO (half-open [from, to);
          a date or time without an offset is UTC). Default: the month before the source's current time
Source:   --github-world FILE (the local GitHub emulator on a github-world/1 file)
          --org ORG (github.com, token in GITHUB_TOKEN or GitHub App settings)
          run with neither: the bundled demo organisation
Profile:  clerk-cm01 (default; v1.0 before 2026-04-29, v1.1 from then), clicki, or a profile file
Store:    local:DIR (default local:./.cm01; not immutable) or s3://BUCKET?table=TABLE
          (endpoints from AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_DYNAMODB)
Output:   --out DIR (default ./out): cm01-<org>-<period>-<profile>.pdf, .manifest.json,
          .population.csv, .exceptions.csv; --json prints a machine-readable summary instead

Exit status: 0 done (exceptions in a pack are findings, not errors), 1 failed, 2 usage error.
Run \`cm01 <command> --help\` for a command's options.
`;

export function buildProgram(cli: CliContext, write: CliOutput, commands: readonly MakeCommand[]) {
  const program = new Command('cm01')
    .description('SOC 2 CM-01 change-management evidence: collect from GitHub, judge, render the pack')
    .version(TOOL_ID, '--version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addHelpText('after', GLOBAL_HELP_AFTER)
    .showSuggestionAfterError(true);
  for (const make of commands) program.addCommand(make(cli));
  // Every command, nested ones included, reports usage errors the same way and never exits itself.
  const configure = (command: Command): void => {
    command
      .exitOverride()
      // Excess arguments reach the action, which names the first one.
      .allowExcessArguments(true)
      .configureOutput({
        writeOut: write.out,
        writeErr: write.err,
        outputError: (text, writeErr) => writeErr(`cm01: ${text.replace(/^error: /, '')}`),
      })
      .showHelpAfterError(`Run \`cm01 ${commandPath(command)}--help\` for usage.`);
    for (const sub of command.commands) configure(sub);
  };
  configure(program);
  return program;
}

export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.length ? `${names.join(' ')} ` : '';
}

/** Parse and run; the exit status of cli.md: 0 done, 1 failed, 2 usage error. Never a stack trace. */
export interface CliOutput {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const PROCESS_OUTPUT: CliOutput = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

export async function runCli(argv: readonly string[], write: CliOutput = PROCESS_OUTPUT): Promise<number> {
  const cli = new CliContext();
  const program = buildProgram(cli, write, await commandsFor(argv));
  if (argv.length === 0) {
    // No command at all: the overview, as a usage error.
    write.err(program.helpInformation());
    return 2;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return cli.exitStatus;
  } catch (error: unknown) {
    return report(cli, error);
  }
}

function report(cli: CliContext, error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and version are printed by commander; anything else it refused is a usage error.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
    // `cm01 help …` exits 0; help shown because a sub-command is missing is a usage error.
    if (error.code === 'commander.help') return error.exitCode === 0 ? 0 : 2;
    return 2;
  }
  const reporter = cli.reporter;
  // A malformed value is a usage error wherever it was found (cli.md: exit 2).
  if (isMalformedInput(error)) {
    reporter.error(`${redactSecrets(error.message)}\nRun \`cm01 ${cli.commandPath}--help\` for usage.`);
    return 2;
  }
  if (error instanceof Cm01Error) {
    reporter.error(redactSecrets(error.message));
  } else {
    reporter.error(
      `unexpected failure: ${redactSecrets(error instanceof Error ? error.message : String(error))}`,
    );
  }
  if (process.env.CM01_DEBUG) reporter.notice(describeCauses(error));
  return 1;
}
