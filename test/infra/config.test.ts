import { describe, expect, it } from 'vitest';
import { InputError } from '../../lambdas/errors.ts';
import { parseDeploymentContext } from '../../lib/config.ts';
import { parseScheduleExpression } from '../../lib/constructs/scheduled-job.ts';
import { toRetentionDays } from '../../lib/evidence-stack.ts';
import { availableStandardJobs, STANDARD_JOBS } from '../../lib/standard-jobs.ts';

function parse(context: Record<string, unknown>) {
  return parseDeploymentContext((key) => context[key]);
}

function errorOf(action: () => unknown): InputError {
  try {
    action();
  } catch (error: unknown) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('deployment context', () => {
  it('fills defaults: COMPLIANCE, 365 days, production, 400-day logs', () => {
    expect(parse({ 'cm01:stage': 'production', 'cm01:org': 'acme' })).toEqual({
      stage: 'production',
      org: 'acme',
      objectLockMode: 'COMPLIANCE',
      retentionDays: 365,
      nonProduction: false,
      logRetentionDays: 400,
    });
  });

  it('accepts -c strings for numbers and booleans', () => {
    const config = parse({
      'cm01:stage': 'dev',
      'cm01:org': 'acme-labs',
      'cm01:objectLockMode': 'GOVERNANCE',
      'cm01:nonProduction': 'true',
      'cm01:retentionDays': '30',
      'cm01:auditorPrincipal': 'arn:aws:iam::123456789012:role/Auditors',
      'cm01:alarmEmail': 'sre@example.com',
    });
    expect(config).toMatchObject({ objectLockMode: 'GOVERNANCE', nonProduction: true, retentionDays: 30 });
  });

  it('names the missing key', () => {
    expect(errorOf(() => parse({ 'cm01:stage': 'production' })).field).toBe('cm01:org');
  });

  it('names the bad key and says why', () => {
    const error = errorOf(() =>
      parse({ 'cm01:stage': 'production', 'cm01:org': 'acme', 'cm01:retentionDays': 'a year' }),
    );
    expect(error.field).toBe('cm01:retentionDays');
    expect(error.message).toContain('"a year"');
    expect(errorOf(() => parse({ 'cm01:stage': 'Prod!', 'cm01:org': 'acme' })).field).toBe('cm01:stage');
    expect(
      errorOf(() =>
        parse({
          'cm01:stage': 'p',
          'cm01:org': 'acme',
          'cm01:githubSecretArn': 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gh',
        }),
      ).field,
    ).toBe('cm01:githubSecretArn');
    expect(
      errorOf(() => parse({ 'cm01:stage': 'p', 'cm01:org': 'acme', 'cm01:logRetentionDays': 90 })).field,
    ).toBe('cm01:logRetentionDays');
  });

  it('refuses GOVERNANCE unless the stack is marked non-production', () => {
    const error = errorOf(() =>
      parse({ 'cm01:stage': 'staging', 'cm01:org': 'acme', 'cm01:objectLockMode': 'GOVERNANCE' }),
    );
    expect(error.field).toBe('cm01:objectLockMode');
    expect(error.message).toContain('cm01:nonProduction=true');
  });

  it('accepts a complete secret ARN', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cm01/github-AbC123';
    expect(
      parse({ 'cm01:stage': 'p', 'cm01:org': 'acme', 'cm01:githubSecretArn': arn }).githubSecretArn,
    ).toBe(arn);
  });
});

describe('log retention', () => {
  it('rounds up to a period CloudWatch accepts, never down', () => {
    expect(toRetentionDays(400)).toBe(400);
    expect(toRetentionDays(366)).toBe(400);
    expect(toRetentionDays(365)).toBe(365);
  });
});

describe('standard jobs', () => {
  it('deploys only the jobs whose handler exists and names the others', () => {
    const { jobs, missing } = availableStandardJobs('/nonexistent');
    expect(jobs).toEqual([]);
    expect(missing).toEqual(STANDARD_JOBS.map((job) => job.entry));
  });

  it('collects nightly and builds the pack after the settle time (the 3rd) of the month', () => {
    const byName = new Map(STANDARD_JOBS.map((job) => [job.name, job]));
    expect(byName.get('build-pack')?.schedule).toBe('cron(0 6 3 * ? *)');
    expect(byName.get('build-pack')?.runsAtSettleTime).toBe(true);
    expect(byName.get('build-pack')?.access).toBe('build-pack');
    expect(byName.get('build-pack')?.input).toEqual({ schedule: 'monthly' });
    for (const name of [
      'collect-pull-requests',
      'collect-deployments',
      'collect-overrides',
      'snapshot-protection',
    ]) {
      expect(byName.get(name)?.access).toBe('collect');
      // Scheduled collectors take the month to date, not the month before.
      expect(byName.get(name)?.input).toEqual({ schedule: 'daily' });
    }
    for (const job of STANDARD_JOBS)
      expect(() => parseScheduleExpression(job.name, job.schedule)).not.toThrow();
  });
});
