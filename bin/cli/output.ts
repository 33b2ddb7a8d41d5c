import cliProgress from 'cli-progress';

/**
 * What a command prints. On a terminal, long runs show a progress bar on stderr (steps done of
 * the total, items per second, time left); off a terminal they stay quiet and print one summary
 * line; `--json` prints a machine-readable summary instead (cli.md).
 */
export class Reporter {
  readonly interactive: boolean;
  private bar: cliProgress.SingleBar | undefined;
  private rate: { items: number; since: number } = { items: 0, since: Date.now() };

  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {
    this.interactive = Boolean(stderr.isTTY) && !json;
  }

  /**
   * Start a progress bar of `total` steps (terminal only). `unit` names the steps (e.g.
   * `repository kinds`), `items` what the rate counts (e.g. `evidence items`).
   */
  startProgress(title: string, total: number, unit: string, items?: string): void {
    if (!this.interactive) return;
    this.stopProgress();
    this.rate = { items: 0, since: Date.now() };
    this.bar = new cliProgress.SingleBar(
      {
        stream: this.stderr,
        format: `${title} {bar} {value}/{total} ${unit}${items ? ` · {items} ${items} · {rate}/s` : ''} · {eta_formatted} left · {detail}`,
        // Before a step is done (or while one stalls) there is no estimate yet: say so.
        formatTime: (seconds, options, roundTo) =>
          Number.isFinite(seconds) && seconds >= 0
            ? cliProgress.Format.TimeFormat(seconds, options, roundTo)
            : '?',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 20,
        fps: 8,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(Math.max(total, 1), 0, { items: 0, rate: '0.0', detail: '' });
  }

  /** Grow the total when more work turns up (the repository count is known only once listed). */
  setProgressTotal(total: number): void {
    this.bar?.setTotal(Math.max(total, 1));
  }

  /** Steps done (`advance`), items counted for the rate, and what is being worked on. */
  progress(update: { advance?: number; value?: number; items?: number; detail?: string }): void {
    if (!this.bar) return;
    this.rate.items += update.items ?? 0;
    const seconds = Math.max((Date.now() - this.rate.since) / 1000, 0.001);
    const payload = {
      items: this.rate.items,
      rate: (this.rate.items / seconds).toFixed(1),
      ...(update.detail !== undefined ? { detail: this.fit(update.detail) } : {}),
    };
    if (update.value !== undefined) this.bar.update(update.value, payload);
    else this.bar.increment(update.advance ?? 0, payload);
  }

  stopProgress(): void {
    if (!this.bar) return;
    this.bar.stop();
    this.bar = undefined;
  }

  /** A line a person should read even off a terminal (e.g. a warning). */
  notice(text: string): void {
    if (this.json) return;
    if (this.bar) this.stderr.write('\r\x1b[K');
    this.stderr.write(`${text}\n`);
  }

  /**
   * The command's result: the JSON summary under `--json`; else, off a terminal, the one-line
   * `brief` when the command has one (a long run stays quiet in a script's log), and the human
   * lines on a terminal.
   */
  result(lines: readonly string[], summary: unknown, brief?: string): void {
    this.stopProgress();
    if (this.json) this.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else if (brief !== undefined && !this.stdout.isTTY) this.stdout.write(`${brief}\n`);
    else for (const line of lines) this.stdout.write(`${line}\n`);
  }

  error(text: string): void {
    this.stopProgress();
    this.stderr.write(`cm01: ${text}\n`);
  }

  /** The detail column, cut so one bar stays on one terminal line. */
  private fit(text: string): string {
    const room = Math.max((this.stderr.columns ?? 100) - 90, 12);
    return text.length > room ? `${text.slice(0, room - 1)}…` : text;
  }
}
