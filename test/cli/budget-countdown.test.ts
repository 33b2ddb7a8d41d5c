import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN, type Emulator, startEmulator } from '../../emulator/server.ts';
import { loadWorld } from '../../emulator/world.ts';
import { DEMO_WORLD_FILE } from '../../emulator/worlds/build-demo.ts';
import { cm01Async } from './run-cli.ts';

/**
 * On one machine, a collection whose GitHub budget runs out waits for the reset, in the open:
 * the command line says which budget ran out (its limit as GitHub's headers give it), until when,
 * and counts down; a run that the budget left in the window will not cover is announced before
 * it starts, from what the index says the last run cost. GitHub here is the emulator with a
 * budget of a few requests in an emulated hour of seconds.
 */
/** Long enough that the run's REST requests fall into one window unless it waits for the next. */
const WINDOW_SECONDS = 20;
// The run makes about 27 REST requests (the rest is GraphQL): at 12 an emulated hour it waits
// at least twice, and still ends well inside the test's time.
const CORE_LIMIT = 12;
let emulator: Emulator;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cm01-countdown-'));
  emulator = await startEmulator({
    world: await loadWorld(DEMO_WORLD_FILE),
    rateLimits: { core: CORE_LIMIT },
    rateWindowSeconds: WINDOW_SECONDS,
  });
});

afterAll(async () => {
  await emulator?.close();
  await rm(work, { recursive: true, force: true });
});

function collect() {
  return cm01Async(
    [
      'collect',
      '--period',
      '2026-10',
      '--kinds',
      'pull-requests,commits,teams',
      '--store',
      `local:${join(work, 'store')}`,
      '--org',
      'acme',
    ],
    { cwd: work, env: { GITHUB_API_URL: emulator.url, GITHUB_TOKEN: DEFAULT_TOKEN, CM01_DEBUG: '' } },
  );
}

describe('cm01 collect when the GitHub budget runs out', () => {
  it('waits for the reset, saying why and until when, with a countdown, then finishes', async () => {
    const started = Date.now();
    const result = await collect();
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(result.status).toBe(0);
    const waits = result.stderr.split('\n').filter((line) => line.startsWith('waiting '));
    expect(waits.length, result.stderr).toBeGreaterThanOrEqual(1);
    for (const line of waits) {
      expect(line).toMatch(
        new RegExp(
          `^waiting \\d+s for GitHub: GitHub's core budget of ${CORE_LIMIT} requests an hour is used up \\(${CORE_LIMIT} used; the limit as GitHub's headers give it\\); going on at \\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$`,
        ),
      );
    }
    // The countdown: seconds left, falling.
    const countdown = result.stderr
      .split('\n')
      .filter((line) => /^ {2}\d+s left$/.test(line))
      .map((line) => Number(line.trim().slice(0, -'s left'.length)));
    expect(countdown.length, result.stderr).toBeGreaterThanOrEqual(1);
    expect(countdown[0]).toBeLessThanOrEqual(WINDOW_SECONDS + 1);
    // It really waited as long as it said, and collected everything.
    const announced = Number(/^waiting (\d+)s/.exec(waits[0] as string)?.[1]);
    expect(announced).toBeLessThanOrEqual(WINDOW_SECONDS + 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual((announced - 1) * 1000);
    expect(result.stdout).toMatch(/^cm01 collect: 2026-10 from .*: \d+ pull-request/);
    expect(result.stdout).not.toMatch(/FAILED/);
  }, 120_000);

  it('announces before starting that the remaining budget will not cover the run, from the last run’s cost', async () => {
    // Spend the budget of the current window, so that what remains cannot cover the run.
    const spent = await fetch(`${emulator.url}/repos/acme/web-app`, {
      headers: { authorization: `token ${DEFAULT_TOKEN}` },
    });
    const remaining = Number(spent.headers.get('x-ratelimit-remaining'));
    for (let i = 0; i < remaining; i++)
      await fetch(`${emulator.url}/repos/acme/web-app`, {
        headers: { authorization: `token ${DEFAULT_TOKEN}` },
      });
    const result = await collect();
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(
      new RegExp(
        `^budget: this collection needs about \\d+ REST requests and \\d+ GraphQL points \\(from the recorded runs\\), more than remains \\(core budget of ${CORE_LIMIT} requests an hour has \\d+ left, resets at [0-9TZ:-]+\\): the collection spans several resets, waiting for each$`,
        'm',
      ),
    );
  }, 120_000);
});
