import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalEvidenceIndex } from '../../lambdas/adapters/local-index.ts';
import { openStore } from '../../lambdas/adapters/open-store.ts';
import type { IndexEntry } from '../../lambdas/evidence/ports.ts';

/**
 * A crash (power loss, a killed process) can cut the last line of a local index partition: a
 * whole row without its newline, or half a JSON row. The index mends it when opened, and never
 * glues a new row to it, whether or not it was opened through `openStore`.
 */
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cm01-torn-index-'));
  dirs.push(dir);
  return dir;
}

function row(n: number): IndexEntry {
  return {
    kind: 'pull-request',
    period: '2026-10',
    repo: 'acme/web-app',
    itemId: String(n),
    occurredAt: `2026-10-${String(n).padStart(2, '0')}T12:00:00.000Z`,
    key: `evidence/acme/web-app/pull-request/2026/10/${n}.json`,
    versionId: `v${n}`,
    sha256: 'a'.repeat(64),
    contentHash: `hash-${n}`,
    retainUntil: '2027-11-01T00:00:00.000Z',
  };
}

const periodFile = (dir: string) => join(dir, 'index', 'period', 'pull-request', '2026-10.jsonl');
const repoFile = (dir: string) => join(dir, 'index', 'repo', `${encodeURIComponent('acme/web-app')}.jsonl`);

/** Every line of a partition parses on its own and the file ends with a newline. */
async function expectWholeLines(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  expect(text.endsWith('\n'), `${file} ends with a newline`).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
  return lines;
}

async function seeded(): Promise<string> {
  const dir = await tempDir();
  const { index } = await openStore(`local:${dir}`);
  await index.put([row(1), row(2)]);
  return dir;
}

describe('a local index torn by a crash', () => {
  it('is repaired on open when its last line is half a row: the half is set aside, the rows before it kept', async () => {
    const dir = await seeded();
    const half = JSON.stringify(row(3)).slice(0, 40);
    await appendFile(periodFile(dir), half);

    const { index } = await openStore(`local:${dir}`);

    expect(await expectWholeLines(periodFile(dir))).toHaveLength(2);
    expect(await readFile(`${periodFile(dir)}.torn`, 'utf8')).toBe(`${half}\n`);
    expect((await index.queryPeriod('pull-request', '2026-10')).map((r) => r.itemId)).toEqual(['1', '2']);
    await index.put([row(3)]);
    expect(await expectWholeLines(periodFile(dir))).toHaveLength(3);
    expect((await index.queryPeriod('pull-request', '2026-10')).map((r) => r.itemId)).toEqual([
      '1',
      '2',
      '3',
    ]);
  });

  it('is repaired on open when its last row only lost its newline: the row is kept', async () => {
    const dir = await seeded();
    await appendFile(periodFile(dir), JSON.stringify(row(3)));

    const { index } = await openStore(`local:${dir}`);

    expect(await expectWholeLines(periodFile(dir))).toHaveLength(3);
    expect((await index.queryPeriod('pull-request', '2026-10')).map((r) => r.itemId)).toEqual([
      '1',
      '2',
      '3',
    ]);
    const names = await readdir(join(dir, 'index', 'period', 'pull-request'));
    expect(names.filter((name) => name.endsWith('.torn'))).toEqual([]);
  });

  it('repairs the by-repository partitions too', async () => {
    const dir = await seeded();
    await appendFile(repoFile(dir), '{"kind":"pull-req');

    const { index } = await openStore(`local:${dir}`);

    expect(await expectWholeLines(repoFile(dir))).toHaveLength(2);
    expect((await index.queryRepo('acme/web-app')).map((r) => r.itemId)).toEqual(['1', '2']);
  });

  it('never glues a new row to a torn line, even when opened without the repair', async () => {
    const dir = await seeded();
    await appendFile(periodFile(dir), '{"kind":"pull-request","period":"2026-');
    await appendFile(repoFile(dir), '{"kind":"pull-request","period":"2026-');

    const index = new LocalEvidenceIndex({ dir });
    await index.put([row(4)]);

    expect(await expectWholeLines(periodFile(dir))).toHaveLength(3);
    expect(await expectWholeLines(repoFile(dir))).toHaveLength(3);
    const fresh = new LocalEvidenceIndex({ dir });
    expect((await fresh.queryPeriod('pull-request', '2026-10')).map((r) => r.itemId)).toEqual([
      '1',
      '2',
      '4',
    ]);
  });

  it('leaves an intact index untouched, and creates nothing for a store not made yet', async () => {
    const dir = await seeded();
    const before = await readFile(periodFile(dir), 'utf8');
    const repaired = await new LocalEvidenceIndex({ dir }).repairTornPartitions();
    expect(repaired).toEqual({ completed: [], cut: [] });
    expect(await readFile(periodFile(dir), 'utf8')).toBe(before);

    const empty = await tempDir();
    await openStore(`local:${join(empty, 'not-yet')}`);
    expect(await readdir(empty)).toEqual([]);
  });
});
