import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../lambdas/errors.ts';
import { CONTEXT_KEYS, parseDeploymentContext } from '../../lib/config.ts';
import { PROJECT_ROOT } from '../../lib/constructs/evidence-function.ts';
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
      githubApiUrl: 'https://api.github.com',
      logRetentionDays: 400,
    });
  });

  it.each([
    ['https://github.example.com/api/v3', 'https://github.example.com/api/v3'],
    ['https://github.example.com:8443/api/v3/', 'https://github.example.com:8443/api/v3'],
    ['https://api.github.com/', 'https://api.github.com'],
    ['https://api.octo-corp.ghe.com', 'https://api.octo-corp.ghe.com'],
  ])('takes the GitHub API URL %s (GitHub Enterprise Server, GHE.com)', (given, expected) => {
    const config = parse({ 'cm01:stage': 'production', 'cm01:org': 'acme', 'cm01:githubApiUrl': given });
    expect(config.githubApiUrl).toBe(expected);
  });

  it.each([
    ['http://github.example.com/api/v3', /must use https/],
    ['github.example.com', /is not a URL/],
    ['https://github.com', /web site, not the API.*https:\/\/api\.github\.com/],
    ['https://github.example.com', /https:\/\/github\.example\.com\/api\/v3/],
    ['https://github.example.com/api/graphql', /GitHub Enterprise Server API is at/],
    ['https://api.github.com/v3', /has no path/],
    ['https://octo:s3cr3tw0rd@github.example.com/api/v3', /user name or password/],
    ['http://octo:s3cr3tw0rd@github.example.com/api/v3', /user name or password/],
    ['https://github.example.com/api/v3?x=1', /query or fragment/],
    ['', /is not a URL/],
  ])('refuses the GitHub API URL %j, naming the key', (given, reason) => {
    const error = errorOf(() =>
      parse({ 'cm01:stage': 'production', 'cm01:org': 'acme', 'cm01:githubApiUrl': given }),
    );
    expect(error.field).toBe('cm01:githubApiUrl');
    expect(error.message).toMatch(reason);
    expect(error.message).not.toContain('s3cr3tw0rd');
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

describe('the context keys tables', () => {
  it.each(['README.md', 'docs/deploy.md'])('of %s list exactly the keys the app reads', (file) => {
    const text = readFileSync(join(PROJECT_ROOT, file), 'utf8');
    const rows = [...text.matchAll(/^\| `(cm01:\w+)`/gm)].map((match) => match[1]);
    expect([...rows].sort()).toEqual(Object.values(CONTEXT_KEYS).sort());
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

  it('collects nightly and builds the pack on the 1st of the month', () => {
    const byName = new Map(STANDARD_JOBS.map((job) => [job.name, job]));
    expect(byName.get('build-pack')?.schedule).toBe('cron(0 6 1 * ? *)');
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
