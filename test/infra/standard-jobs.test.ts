import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableStandardJobs, STANDARD_JOBS } from '../../lib/standard-jobs.ts';
import { resourcesOfType, type SynthesizedAssembly, synthesizeStandardAppInChild } from './evidence-app.ts';

/**
 * The stack as `bin/app.ts` deploys it: every job of the architecture with its real handler,
 * bundled, nag-clean, and the pack job's bundle carrying the files pdfkit and the renderer read
 * beside themselves at run time.
 */
let app: SynthesizedAssembly;

beforeAll(async () => {
  app = await synthesizeStandardAppInChild();
}, 300_000);

afterAll(() => app?.dispose());

function assetDirOf(functionPrefix: string): string {
  const found = resourcesOfType(app.resources, 'AWS::Lambda::Function').find(([id]) =>
    id.startsWith(functionPrefix),
  );
  const s3Key = (found?.[1].Properties.Code as { S3Key?: unknown } | undefined)?.S3Key;
  if (typeof s3Key !== 'string') throw new Error(`no bundled asset for ${functionPrefix}`);
  return join(app.directory, `asset.${s3Key.replace(/\.zip$/, '')}`);
}

describe('the standard jobs', () => {
  it('all have their handler in the repository', () => {
    expect(availableStandardJobs().missing).toEqual([]);
  });

  it('synthesise with cdk-nag reporting nothing unacknowledged', () => {
    const findings = app.validationReport.pluginReports.flatMap((report) => report.violations ?? []);
    expect(findings).toEqual([]);
  });

  it('fan the pull-request and deployment collections out per repository through Step Functions', () => {
    const fannedOut = STANDARD_JOBS.filter((job) => job.listRepositoriesEntry !== undefined).map(
      (job) => job.name,
    );
    expect(fannedOut).toEqual(['collect-pull-requests', 'collect-deployments']);
    const machines = resourcesOfType(app.resources, 'AWS::StepFunctions::StateMachine').map(([id]) => id);
    for (const job of ['CollectPullRequests', 'CollectDeployments'])
      expect(
        machines.filter((id) => id.startsWith(`${job}StateMachine`)),
        job,
      ).toHaveLength(1);
  });

  it('run every other job through a state machine that waits for GitHub’s rate-limit reset', () => {
    const single = STANDARD_JOBS.filter((job) => job.listRepositoriesEntry === undefined).map(
      (job) => job.name,
    );
    expect(single).toEqual(['snapshot-protection', 'collect-overrides', 'build-pack']);
    const machines = resourcesOfType(app.resources, 'AWS::StepFunctions::StateMachine').map(([id]) => id);
    for (const job of ['SnapshotProtection', 'CollectOverrides', 'BuildPack'])
      expect(
        machines.filter((id) => id.startsWith(`${job}StateMachine`)),
        job,
      ).toHaveLength(1);
    expect(machines).toHaveLength(STANDARD_JOBS.length);
  });

  it('bundle the pack job with the PDF fonts and the PDF/A colour profile', () => {
    const dir = assetDirOf('BuildPackJob');
    expect(readdirSync(dir)).toContain('index.mjs');
    expect(existsSync(join(dir, 'data', 'sRGB_IEC61966_2_1.icc'))).toBe(true);
    expect(readdirSync(join(dir, 'node_modules', 'dejavu-fonts-ttf', 'ttf'))).toContain('DejaVuSans.ttf');
  });
});
