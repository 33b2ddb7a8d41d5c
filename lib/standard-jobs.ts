import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { PROJECT_ROOT } from './constructs/evidence-function.ts';
import type { JobDefinition } from './evidence-stack.ts';

/**
 * The jobs of the architecture, with their schedules (UTC). Collectors run nightly so that
 * sources with short memories (rule suites: one month; Actions logs: 90 days) are copied out
 * well in time; the pack runs after the settle time (the 3rd, 06:00 UTC by default) for the month before.
 */
/**
 * The fixed input of scheduled runs (lambdas/runtime/event.ts): a nightly collector takes the
 * month to date (from the start of yesterday's month, so the last day of a month is collected
 * again on the 1st); the pack takes the whole month before.
 */
const DAILY = { schedule: 'daily' } as const;
const MONTHLY = { schedule: 'monthly' } as const;

export const STANDARD_JOBS: readonly JobDefinition[] = [
  {
    name: 'snapshot-protection',
    entry: 'lambdas/snapshot-protection/handler.ts',
    schedule: 'cron(0 2 * * ? *)',
    access: 'collect',
    input: DAILY,
  },
  {
    name: 'collect-pull-requests',
    entry: 'lambdas/collect-pull-requests/handler.ts',
    schedule: 'cron(15 2 * * ? *)',
    access: 'collect',
    input: DAILY,
    memorySize: 1024,
    timeoutSeconds: 900,
    // One repository per invocation, fanned out by Step Functions: a large organisation never
    // meets the Lambda time limit.
    listRepositoriesEntry: 'lambdas/list-repositories/handler.ts',
  },
  {
    name: 'collect-deployments',
    entry: 'lambdas/collect-deployments/handler.ts',
    schedule: 'cron(30 2 * * ? *)',
    access: 'collect',
    input: DAILY,
    timeoutSeconds: 900,
    // Statuses and workflow runs are one REST request each: one repository per invocation.
    listRepositoriesEntry: 'lambdas/list-repositories/handler.ts',
  },
  {
    name: 'collect-overrides',
    entry: 'lambdas/collect-overrides/handler.ts',
    schedule: 'cron(45 2 * * ? *)',
    access: 'collect',
    input: DAILY,
    timeoutSeconds: 900,
  },
  {
    name: 'build-pack',
    entry: 'lambdas/build-pack/handler.ts',
    // Replaced by the stack's packSettleTime (default the 3rd, 06:00 UTC): late deployments are in.
    schedule: 'cron(0 6 3 * ? *)',
    runsAtSettleTime: true,
    access: 'build-pack',
    input: MONTHLY,
    memorySize: 2048,
    timeoutSeconds: 900,
    // The renderer finds its fonts with require.resolve('dejavu-fonts-ttf/ttf/…'), which in
    // the deployed bundle has no node_modules to look in unless the package is copied there.
    copyIntoBundle: [
      { from: 'node_modules/dejavu-fonts-ttf', to: 'node_modules/dejavu-fonts-ttf' },
      // pdfkit reads its sRGB output intent beside itself (`__dirname/data`) for PDF/A.
      { from: 'node_modules/pdfkit/js/data/sRGB_IEC61966_2_1.icc', to: 'data/sRGB_IEC61966_2_1.icc' },
    ],
  },
];

/** The standard jobs whose handler files exist, and the names of those that do not (yet). */
export function availableStandardJobs(root: string = PROJECT_ROOT): {
  readonly jobs: readonly JobDefinition[];
  readonly missing: readonly string[];
} {
  const present = (job: JobDefinition): boolean => existsSync(resolve(root, job.entry));
  return {
    jobs: STANDARD_JOBS.filter(present),
    missing: STANDARD_JOBS.filter((job) => !present(job)).map((job) => job.entry),
  };
}
