import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { EvidenceStack, type JobDefinition, settleScheduleExpression } from '../../lib/evidence-stack.ts';
import { STANDARD_JOBS } from '../../lib/standard-jobs.ts';
import { configFrom, FIXTURE_JOB } from './evidence-app.ts';

/**
 * The monthly pack is built for the month before after its settle time — the 3rd, 06:00 UTC by
 * default, a stack property — so that a change merged on the 31st has its deployment.
 */

const PACK: JobDefinition = {
  name: 'build-pack',
  entry: FIXTURE_JOB,
  schedule: 'cron(0 6 1 * ? *)',
  runsAtSettleTime: true,
  access: 'build-pack',
  input: { schedule: 'monthly' },
};

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * The stack for each settle time, synthesised once (synthesis bundles the pack job) and shared by
 * the tests that read it: they only read the template.
 */
const templates = new Map<string, Template>();
function template(props: { packSettleTime?: { dayOfMonth: number; hourUtc: number } }): Template {
  const key = JSON.stringify(props.packSettleTime ?? null);
  const known = templates.get(key);
  if (known) return known;
  const synthesized = synthesize(props);
  templates.set(key, synthesized);
  return synthesized;
}

function synthesize(props: { packSettleTime?: { dayOfMonth: number; hourUtc: number } }): Template {
  const outdir = mkdtempSync(join(tmpdir(), 'cm01-settle-'));
  outdirs.push(outdir);
  const stack = new EvidenceStack(new App({ outdir }), 'Settle', {
    config: configFrom({}),
    jobs: [PACK],
    ...props,
  });
  return Template.fromStack(stack);
}

describe('the monthly pack schedule', () => {
  it('runs on the 3rd at 06:00 UTC by default', () => {
    template({}).hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 6 3 * ? *)',
      Targets: [Match.objectLike({ Input: JSON.stringify({ schedule: 'monthly' }) })],
    });
  }, 120_000);

  it('runs at the settle time the stack property names', () => {
    template({ packSettleTime: { dayOfMonth: 5, hourUtc: 7 } }).hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 7 5 * ? *)',
    });
  }, 120_000);

  it('hands the settle time to the pack job, which reads deployments up to it', () => {
    const variablesOfPackJob = (t: Template) =>
      Object.values(t.findResources('AWS::Lambda::Function'))
        .map(
          (fn) =>
            (fn as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties,
        )
        .map((properties) => properties.Environment?.Variables ?? {})
        .filter((variables) => 'CM01_SIGNING_KEY' in variables);
    const configured = variablesOfPackJob(template({ packSettleTime: { dayOfMonth: 5, hourUtc: 7 } }));
    expect(configured.map((variables) => variables.CM01_PACK_SETTLE_TIME)).toEqual(['5T07:00Z']);
    expect(variablesOfPackJob(template({})).map((variables) => variables.CM01_PACK_SETTLE_TIME)).toEqual([
      '3T06:00Z',
    ]);
  }, 120_000);

  it('refuses a settle day some month does not have', () => {
    expect(() => settleScheduleExpression({ dayOfMonth: 31, hourUtc: 6 })).toThrow(/1 to 28/);
    expect(() => settleScheduleExpression({ dayOfMonth: 3, hourUtc: 24 })).toThrow(/0 to 23/);
  });

  it('is how the standard pack job runs', () => {
    const pack = STANDARD_JOBS.find((job) => job.name === 'build-pack');
    expect(pack?.runsAtSettleTime).toBe(true);
    expect(pack?.input).toEqual({ schedule: 'monthly' });
  });
});
