/**
 * What a command prints. On a terminal, long runs show a progress line (on stderr, rewritten
 * in place); off a terminal they stay quiet and print one summary line; `--json` prints a
 * machine-readable summary instead (cli.md).
 */
export class Reporter {
  private readonly interactive: boolean;
  private lastProgressAt = 0;
  private progressShown = false;

  constructor(
    private readonly json: boolean,
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {
    this.interactive = Boolean(stderr.isTTY) && !json;
  }

  /** A progress line; throttled, terminal only. */
  progress(text: string): void {
    if (!this.interactive) return;
    const now = Date.now();
    if (now - this.lastProgressAt < 80) return;
    this.lastProgressAt = now;
    const width = (this.stderr.columns ?? 100) - 1;
    this.stderr.write(`\r\x1b[K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    this.progressShown = true;
  }

  /** A line a person should read even off a terminal (e.g. a warning). */
  notice(text: string): void {
    this.clearProgress();
    if (!this.json) this.stderr.write(`${text}\n`);
  }

  /**
   * The command's result: the JSON summary under `--json`; else, off a terminal, the one-line
   * `brief` when the command has one (a long run stays quiet in a script's log), and the human
   * lines on a terminal.
   */
  result(lines: readonly string[], summary: unknown, brief?: string): void {
    this.clearProgress();
    if (this.json) this.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else if (brief !== undefined && !this.stdout.isTTY) this.stdout.write(`${brief}\n`);
    else for (const line of lines) this.stdout.write(`${line}\n`);
  }

  error(text: string): void {
    this.clearProgress();
    this.stderr.write(`cm01: ${text}\n`);
  }

  private clearProgress(): void {
    if (this.progressShown) {
      this.stderr.write('\r\x1b[K');
      this.progressShown = false;
    }
  }
}
