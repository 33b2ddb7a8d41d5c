import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Emulator, startEmulator } from '../../emulator/server.ts';
import { parseWorld, type World, type WorldInput } from '../../emulator/world.ts';
import { createBetterStackClient } from '../../lambdas/adapters/better-stack/client.ts';
import { createGitHubClient } from '../../lambdas/adapters/github/client.ts';
import { createLinearClient } from '../../lambdas/adapters/linear/client.ts';
import { openStore } from '../../lambdas/adapters/open-store.ts';
import { type CollectionSummary, collect } from '../../lambdas/collect/collect.ts';
import { evaluatePeriod } from '../../lambdas/core/evaluate-period.ts';
import type { PackModel } from '../../lambdas/core/pack-model.ts';
import { shippedProfile } from '../../lambdas/core/shipped-profiles.ts';
import { monthWindow } from '../../lambdas/core/window.ts';
import type { EnrichmentSources } from '../../lambdas/evidence/source-ports.ts';
import { loadPeriodEvidence } from '../../lambdas/pack/load-evidence.ts';
import { TOOL_ID } from '../../lambdas/version.ts';

/**
 * Linear and Better Stack end to end: a world served by the emulator over HTTP (GitHub, Linear's
 * GraphQL and Better Stack's REST on their own paths), the real adapters, the collection
 * use-case into an embedded store, then the pure evaluation of October.
 */
export const OCTOBER = monthWindow('2026-10');

export interface SourcesRun {
  readonly emulator: Emulator;
  readonly summary: CollectionSummary;
  readonly model: PackModel;
  /** The verdict of one control for `repo#number`. */
  verdict(pr: number, control: string): string | undefined;
  exception(pr: number, control: string): string | undefined;
  close(): Promise<void>;
}

export type SourceChoice =
  | 'emulated'
  | 'none'
  | {
      linearKey?: string;
      betterStackToken?: string;
      /** Reach Better Stack through another server (given the emulated base URL, returns its own). */
      betterStackThrough?: (baseUrl: string) => string;
    };

export async function runOnWorld(
  input: WorldInput,
  choice: SourceChoice = 'emulated',
  profileId = 'clerk-cm01',
): Promise<SourcesRun> {
  const world: World = parseWorld(JSON.parse(JSON.stringify(input)));
  const emulator = await startEmulator({ world, port: 0 });
  const dir = await mkdtemp(join(tmpdir(), 'cm01-sources-'));
  try {
    const { store, index } = await openStore(`local:${dir}`);
    const github = createGitHubClient({
      baseUrl: emulator.url,
      auth: { kind: 'token', token: emulator.token },
    });
    const sources: EnrichmentSources =
      choice === 'none'
        ? {}
        : {
            ...(emulator.linear
              ? {
                  linear: createLinearClient({
                    endpoint: emulator.linear.endpoint,
                    apiKey:
                      typeof choice === 'object' && choice.linearKey
                        ? choice.linearKey
                        : emulator.linear.apiKey,
                    backoffBaseMs: 1,
                  }),
                }
              : {}),
            ...(emulator.betterStack
              ? {
                  betterStack: createBetterStackClient({
                    baseUrl:
                      typeof choice === 'object' && choice.betterStackThrough
                        ? choice.betterStackThrough(emulator.betterStack.baseUrl)
                        : emulator.betterStack.baseUrl,
                    token:
                      typeof choice === 'object' && choice.betterStackToken
                        ? choice.betterStackToken
                        : emulator.betterStack.token,
                    backoffBaseMs: 1,
                  }),
                }
              : {}),
          };
    const summary = await collect(
      { store, index, github, org: world.org, clock: () => new Date(world.now), sources },
      { window: OCTOBER },
    );
    const loaded = await loadPeriodEvidence(store, index, OCTOBER, { org: world.org });
    const profile = shippedProfile(profileId);
    const model = evaluatePeriod({
      org: world.org,
      window: OCTOBER,
      profile: profile.profile,
      profileSource: profile.source,
      toolVersion: TOOL_ID,
      evidence: loaded.evidence,
      retention: await store.retention(),
      manifest: loaded.manifest,
    });
    return {
      emulator,
      summary,
      model,
      verdict: (pr, control) => model.population.find((row) => row.prNumber === pr)?.verdicts[control],
      exception: (pr, control) =>
        model.exceptions.find((row) => row.prNumber === pr && row.control === control)?.reason,
      close: async () => {
        await emulator.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error: unknown) {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
