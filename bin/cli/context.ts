import type { Command } from 'commander';
import { UsageError } from './options.ts';
import { Reporter } from './output.ts';

/** What a command returns: its exit status (0 done, 1 failed; usage errors are thrown). */
export type ExitStatus = 0 | 1;

/**
 * What the program hands each command module: a reporter for the command's `--json` choice, and
 * where its exit status goes. A command module exports one function `(cli) => Command`.
 */
export class CliContext {
  exitStatus: number = 0;
  reporter: Reporter = new Reporter(false);
  /** `run ` or `packs download `: the running command, for the usage hint. */
  commandPath = '';

  /** Wrap a command's action: pick the reporter, run, record the exit status. */
  action<O extends { json?: boolean }, A extends unknown[]>(
    run: (options: O, reporter: Reporter, ...args: A) => Promise<ExitStatus>,
  ): (...args: unknown[]) => Promise<void> {
    return async (...args: unknown[]) => {
      // commander passes the positional arguments, then the options, then the command.
      const command = args[args.length - 1] as Command;
      const options = command.opts() as O;
      const positionals = args.slice(0, -2) as A;
      this.reporter = new Reporter(Boolean(options.json));
      this.commandPath = `${commandPathOf(command)} `;
      // An argument the command does not take is named, not just counted (cli.md: exit 2).
      const stray = command.args[command.registeredArguments.length];
      if (stray !== undefined)
        throw new UsageError(stray, `unexpected argument to \`cm01 ${commandPathOf(command)}\``);

      this.exitStatus = await run(options, this.reporter, ...positionals);
    };
  }
}

/** `packs download`: the command's words after `cm01`. */
function commandPathOf(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
