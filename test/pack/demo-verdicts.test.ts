import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN, type Emulator, startEmulator } from '../../emulator/server.ts';
import { loadWorld } from '../../emulator/world.ts';
import { DEMO_WORLD_FILE } from '../../emulator/worlds/build-demo.ts';
import { createGitHubClient } from '../../lambdas/adapters/github/client.ts';
import { LocalPackSigner, localSigningKeyPath } from '../../lambdas/adapters/local-signer.ts';
import { openStore } from '../../lambdas/adapters/open-store.ts';
import { readPackAttachments } from '../../lambdas/adapters/pdf/read-attachments.ts';
import { renderPack } from '../../lambdas/adapters/pdf/render-pack.ts';
import { connectEmulatedSources } from '../../lambdas/app/connect-sources.ts';
import { collect } from '../../lambdas/collect/collect.ts';
import { shippedProfile } from '../../lambdas/core/shipped-profiles.ts';
import { monthWindow } from '../../lambdas/core/window.ts';
import type { EvidenceIndex, EvidenceStore, PackSigner } from '../../lambdas/evidence/ports.ts';
import { type BuiltPack, buildPack } from '../../lambdas/pack/build-pack.ts';
import {
  DEMO_CONTROL_IDS,
  DEMO_PERIOD,
  type DemoProfileId,
  demoChangeFailureRate,
  demoExpectations,
} from '../fixtures/demo-expectations.ts';

/**
 * The whole main job on the bundled demo organisation: collect October 2026 from the emulator
 * over HTTP into the embedded store, judge it under each shipped profile and render the pack.
 * Every change gets, for every control, the verdict the world was built to show.
 */
let dir: string;
let emulator: Emulator;
let store: EvidenceStore;
let index: EvidenceIndex;
let signer: PackSigner;
const packs = new Map<DemoProfileId, BuiltPack>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cm01-demo-'));
  const world = await loadWorld(DEMO_WORLD_FILE);
  emulator = await startEmulator({ world, port: 0 });
  ({ store, index } = await openStore(`local:${dir}`));
  signer = await LocalPackSigner.open(localSigningKeyPath(dir));
  const github = createGitHubClient({ baseUrl: emulator.url, auth: { kind: 'token', token: DEFAULT_TOKEN } });
  const window = monthWindow(DEMO_PERIOD);
  // As `cm01 run` does: the world's Linear and Better Stack sections are collected too.
  const sources = connectEmulatedSources(emulator);
  await collect(
    { store, index, github, org: world.org, clock: () => new Date(world.now), sources },
    { window },
  );
  for (const id of ['clerk-cm01', 'clicki'] as const) {
    packs.set(
      id,
      await buildPack({ store, index, render: renderPack, signer }, { window, profile: shippedProfile(id) }),
    );
  }
}, 240_000);

afterAll(async () => {
  await emulator?.close();
  await rm(dir, { recursive: true, force: true });
});

describe.each(['clerk-cm01', 'clicki'] as const)('the demo pack under %s', (profileId) => {
  const expected = demoExpectations[profileId];
  const pack = () => packs.get(profileId) as BuiltPack;
  const keyOf = (c: { repo: string; prNumber: number | null; commitSha: string }) =>
    c.prNumber === null ? `${c.repo}@${c.commitSha}` : `${c.repo}#${c.prNumber}`;

  it('holds exactly the expected population', () => {
    const actual = pack().model.population.map(keyOf).sort();
    expect(actual).toEqual(expected.map(keyOf).sort());
  });

  it.each(expected.map((change) => [keyOf(change), change] as const))(
    'judges %s as built',
    (_key, change) => {
      const row = pack().model.population.find((r) => keyOf(r) === keyOf(change));
      expect(row, `population row for ${keyOf(change)}`).toBeDefined();
      expect(row?.changeType).toBe(change.changeType);
      const actual = Object.fromEntries(DEMO_CONTROL_IDS.map((id) => [id, row?.verdicts[id]]));
      expect(actual, change.why).toEqual(change.verdicts);
    },
  );

  it('measures the change-failure rate from the Better Stack incidents, and names both extra sources', () => {
    const metric = pack().model.metrics.find((m) => m.id === 'CHANGE-FAILURE-RATE');
    expect(metric).toMatchObject({
      numerator: demoChangeFailureRate.numerator,
      denominator: demoChangeFailureRate.denominator,
      verdict: demoChangeFailureRate.verdict,
    });
    // Each incident is listed with the change it names, or says it names none.
    const detail = metric!.detail.join('\n');
    expect(detail).toMatch(/incident 9031 .*caused by acme\/payments-api PR #112/);
    expect(detail).toMatch(
      /incident 9034 .*caused by acme\/payments-api PR #123 \(named as .*production deployment|commit/,
    );
    expect(detail).toMatch(/incident 9035 .*caused by acme\/web-app PR #318/);
    expect(detail).toMatch(/incident 9032 .*names no change as its cause \(not counted\)/);
    const consulted = pack().model.sourcesConsulted.join('\n');
    expect(consulted).toMatch(/^Linear tickets: linear-graphql .*linear\/graphql, as /m);
    expect(consulted).toMatch(/^Better Stack incidents: better-stack-rest /m);
    expect(consulted).toMatch(/^Better Stack on-call calendars: better-stack-rest /m);
    expect(pack().model.sourcesNotConfigured.join(' ')).not.toMatch(/Linear|Better Stack/);
  });

  it('lists every required per-change failure as an exception', () => {
    const exceptions = new Set(pack().model.exceptions.map((e) => `${keyOf(e)} ${e.control}`));
    for (const change of expected) {
      for (const control of change.exceptions) expect(exceptions).toContain(`${keyOf(change)} ${control}`);
    }
  });

  it('lists each failing required period-level control once, for the whole period', () => {
    const periodLevel = pack().model.exceptions.filter((e) => e.changeType === 'period');
    const required = profileId === 'clerk-cm01' ? ['CHANGE-FAILURE-RATE', 'RETENTION'] : ['RETENTION'];
    expect(periodLevel.map((e) => e.control).sort()).toEqual(required);
    expect(periodLevel.every((e) => e.repo === 'acme' && e.prNumber === null)).toBe(true);
    const perChange = pack().model.exceptions.filter((e) => e.changeType !== 'period');
    expect(perChange.filter((e) => e.control === 'RETENTION' || e.control === 'CHANGE-FAILURE-RATE')).toEqual(
      [],
    );
  });

  it('renders a PDF that qpdf accepts, whose text names every exception and whose attachments parse', async () => {
    const pdf = pack().files[0]?.bytes as Uint8Array;
    const file = join(dir, `${profileId}.pdf`);
    await writeFile(file, pdf);
    execFileSync('qpdf', ['--check', file]);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { maxBuffer: 64 << 20 }).toString();
    for (const exception of pack().model.exceptions) {
      expect(text).toContain(exception.commitSha);
      expect(text).toContain(exception.control);
    }
    const attachments = readPackAttachments(pdf);
    const manifest = JSON.parse(new TextDecoder().decode(attachments.get('manifest.json')));
    expect(manifest.entries.length).toBe(pack().model.manifest.length);
    const population = new TextDecoder().decode(attachments.get('population.csv')).trim().split('\r\n');
    expect(population[0]).toBe(
      `repo,change_type,pr_number,commit_sha,merged_at,author,${pack().model.controlIds.join(',')}`,
    );
    expect(population.length - 1).toBe(expected.length);
  });
});

describe('the demo pack, rendered twice', () => {
  it('is byte-identical for the same evidence and profile', async () => {
    const again = await buildPack(
      { store, index, render: renderPack, signer },
      { window: monthWindow(DEMO_PERIOD), profile: shippedProfile('clerk-cm01') },
    );
    const first = packs.get('clerk-cm01') as BuiltPack;
    expect(
      Buffer.from(again.files[0]?.bytes as Uint8Array).equals(
        Buffer.from(first.files[0]?.bytes as Uint8Array),
      ),
    ).toBe(true);
    // Storing it again wrote nothing new: the same version comes back.
    expect(again.files[0]?.stored.written).toBe(false);
    expect(again.files[0]?.stored.versionId).toBe(first.files[0]?.stored.versionId);
  });
});
