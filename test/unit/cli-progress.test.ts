import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Reporter } from '../../bin/cli/output.ts';
import { collectionProgress } from '../../bin/cli/progress.ts';

/** A stream that says whether it is a terminal and keeps what was written to it. */
function stream(isTTY: boolean): NodeJS.WriteStream & { text(): string } {
  const chunks: string[] = [];
  const writable = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as unknown as NodeJS.WriteStream & { text(): string };
  Object.assign(writable, { isTTY, columns: 160, text: () => chunks.join('') });
  return writable;
}

/** What the collectors report for two repositories of two kinds each, and the teams. */
function driveCollection(reporter: Reporter): void {
  const progress = collectionProgress(reporter, '2026-10', ['pull-requests', 'commits', 'teams']);
  for (const [index, repo] of ['acme/api', 'acme/web'].entries()) {
    progress({ type: 'repo-started', repo, index, total: 2 });
    for (const kind of ['pull-requests', 'commits'] as const) {
      progress({ type: 'kind-started', repo, kind });
      for (let i = 0; i < 5; i++) progress({ type: 'item', repo, kind, itemId: String(i) });
      progress({ type: 'kind-finished', repo, kind, written: 5, unchanged: 0 });
    }
    progress({ type: 'repo-finished', repo, index, total: 2 });
  }
}

describe('progress on a terminal', () => {
  it('shows steps done of the total, items, their rate and the time left', async () => {
    const stderr = stream(true);
    const reporter = new Reporter(false, stream(true), stderr);
    driveCollection(reporter);
    // The bar redraws at most a few times a second; the next event after a pause is drawn.
    await new Promise((resolve) => setTimeout(resolve, 300));
    reporter.progress({ detail: 'acme/web commits' });
    const shown = stderr.text();
    // 2 repositories x 2 kinds + the teams = 5 steps; 20 items stored so far.
    expect(shown).toMatch(/collecting 2026-10 .*4\/5 steps · 20 items · [\d.]+\/s · \S+ left/);
    reporter.stopProgress();
  });

  it('stays silent off a terminal and under --json', () => {
    for (const reporter of [
      new Reporter(false, stream(false), stream(false)),
      new Reporter(true, stream(true), stream(true)),
    ]) {
      const stderr = (reporter as unknown as { stderr: ReturnType<typeof stream> }).stderr;
      driveCollection(reporter);
      expect(stderr.text()).toBe('');
    }
  });

  it('prints one summary line off a terminal, the full lines on one', () => {
    const pipe = stream(false);
    new Reporter(false, pipe, stream(false)).result(['line 1', 'line 2'], { ok: true }, 'one line');
    expect(pipe.text()).toBe('one line\n');
    const tty = stream(true);
    new Reporter(false, tty, stream(true)).result(['line 1', 'line 2'], { ok: true }, 'one line');
    expect(tty.text()).toBe('line 1\nline 2\n');
  });
});
