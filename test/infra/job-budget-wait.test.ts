import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Outcome,
  runStateMachine,
  type StateMachineDefinition,
  stateMachineDefinition,
} from '../e2e/lambda/deployed-stack.ts';
import { resourcesOfType, type SynthesizedEvidenceApp, synthesizeEvidenceApp } from './evidence-app.ts';
import { identityStatementsOf, resolveIntrinsic } from './iam-policies.ts';

/**
 * The single-function jobs that read GitHub (the fixture's `collect-pull-requests` without a
 * lister and `build-pack`; the standard stack's snapshot-protection, collect-overrides and
 * build-pack) run inside a state machine with the fan-out's wait-and-resume loop: the schedule
 * starts the machine, the machine invokes the function, and when the function answers that
 * GitHub's budget ran out, a Wait state waits until the reset it reported and the function is
 * invoked again with the execution's input and what is left. A job that does not read GitHub
 * (`report-status`, read-only) is invoked by its schedule directly.
 */
let app: SynthesizedEvidenceApp;

beforeAll(() => {
  app = synthesizeEvidenceApp();
}, 300_000);

afterAll(() => app?.dispose());

const JOBS = ['CollectPullRequests', 'BuildPack'] as const;

function machineOf(job: string): [string, StateMachineDefinition & { TimeoutSeconds?: number }] {
  const found = resourcesOfType(app.resources, 'AWS::StepFunctions::StateMachine').find(([id]) =>
    id.startsWith(`${job}StateMachine`),
  );
  if (!found) throw new Error(`no state machine of ${job}`);
  return [found[0], stateMachineDefinition(found[1])];
}

function functionOf(job: string): string {
  const found = resourcesOfType(app.resources, 'AWS::Lambda::Function').find(([id]) =>
    id.startsWith(`${job}JobFunction`),
  );
  if (!found) throw new Error(`no function of ${job}`);
  return found[0];
}

function ruleOf(job: string) {
  const found = resourcesOfType(app.resources, 'AWS::Events::Rule').find(([id]) =>
    id.startsWith(`${job}Schedule`),
  );
  if (!found) throw new Error(`no schedule of ${job}`);
  const [target] = found[1].Properties.Targets as {
    Arn: unknown;
    RoleArn?: { 'Fn::GetAtt': [string, string] };
    Input: string;
  }[];
  if (!target) throw new Error(`${job}: the schedule has no target`);
  return target;
}

describe.each(JOBS)('the %s job’s state machine', (job) => {
  it('invokes the function, and when its budget ran out waits until the reported reset, then invokes it again with what is left', () => {
    const [, definition] = machineOf(job);
    const states = definition.States as Record<string, Record<string, unknown>>;
    expect(definition.StartAt).toBe('RunJob');
    expect(states.RunJob).toMatchObject({
      Type: 'Task',
      Resource: `function:${functionOf(job)}`,
      ResultSelector: { 'resumeAt.$': '$.resumeAt', 'resume.$': '$.resume' },
      ResultPath: '$.ran',
      Next: 'BudgetRanOut',
    });
    expect(states.BudgetRanOut).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.ran.resumeAt', IsNull: false, Next: 'WaitForRateLimitReset' }],
      Default: 'JobDone',
    });
    expect(states.WaitForRateLimitReset).toMatchObject({
      Type: 'Wait',
      TimestampPath: '$.ran.resumeAt',
      Next: 'ResumeJob',
    });
    // Only the execution's input and what is left go back to the function: its last answer never does.
    expect(states.ResumeJob).toEqual({
      Type: 'Pass',
      Parameters: { 'input.$': '$$.Execution.Input', 'resume.$': '$.ran.resume' },
      Comment: expect.any(String),
      Next: 'RunJob',
    });
    expect(states.JobDone).toMatchObject({ Type: 'Succeed' });
    expect(Object.keys(states).sort()).toEqual(
      ['BudgetRanOut', 'JobDone', 'ResumeJob', 'RunJob', 'WaitForRateLimitReset'].sort(),
    );
    // Lambda's transient errors are retried; nothing else is (a failed collection fails at once).
    const retries = (states.RunJob as { Retry: { ErrorEquals: string[] }[] }).Retry;
    expect(retries.flatMap((retry) => retry.ErrorEquals)).not.toContain('States.ALL');
    expect(retries.flatMap((retry) => retry.ErrorEquals)).not.toContain('CollectionFailedError');
  });

  it('gives a run time for several resets, within a day, and is logged and traced', () => {
    const [id, definition] = machineOf(job);
    expect(definition.TimeoutSeconds).toBe(23 * 3600);
    const properties = app.resources[id]?.Properties ?? {};
    expect(properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(properties.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
  });

  it('is started by the schedule, whose role may start only this machine; the machine may invoke only its function', () => {
    const [machineId] = machineOf(job);
    const target = ruleOf(job);
    expect(target.Arn).toEqual({ Ref: machineId });
    const scheduleRole = target.RoleArn?.['Fn::GetAtt'][0] as string;
    const scheduleGrants = identityStatementsOf(app.resources, scheduleRole).filter(
      (s) => s.effect === 'Allow',
    );
    expect(scheduleGrants.flatMap((s) => s.actions)).toEqual(['states:StartExecution']);
    expect(scheduleGrants.flatMap((s) => s.resources)).toEqual([`<${machineId}>`]);

    const machineRole = resolveIntrinsic(app.resources[machineId]?.Properties.RoleArn).replace(
      /^<(.+)\.Arn>$/,
      '$1',
    );
    const invokes = identityStatementsOf(app.resources, machineRole).filter((s) =>
      s.actions.some((action) => action.startsWith('lambda:')),
    );
    expect(invokes.flatMap((s) => s.actions)).toEqual(['lambda:InvokeFunction']);
    const fn = functionOf(job);
    expect([...invokes.flatMap((s) => s.resources)].sort()).toEqual([`<${fn}.Arn>`, `<${fn}.Arn>:*`]);
    // Nothing else of the store or the credential: the function holds those, not the machine.
    const others = identityStatementsOf(app.resources, machineRole).flatMap((s) => s.actions);
    expect(others.filter((action) => /^(s3|dynamodb|secretsmanager|kms):/.test(action))).toEqual([]);
  });

  it('raises an alarm when an execution fails, times out or is aborted', () => {
    const [machineId] = machineOf(job);
    const alarmed = resourcesOfType(app.resources, 'AWS::CloudWatch::Alarm')
      .filter(([, alarm]) =>
        (alarm.Properties.Dimensions as { Value: unknown }[] | undefined)?.some(
          (d) => JSON.stringify(d.Value) === JSON.stringify({ Ref: machineId }),
        ),
      )
      .map(([, alarm]) => alarm.Properties.MetricName);
    expect(alarmed.sort()).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
  });

  it('runs the wait-and-resume path: a waiting job is invoked again after its reset with the input and what is left', async () => {
    const [, definition] = machineOf(job);
    const resetAt = new Date(Date.now() + 60 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const calls: { functionId: string; payload: unknown }[] = [];
    const waited: string[] = [];
    const left = { kinds: ['protection', 'teams'], repos: ['acme/web-app'], attempt: 1 };
    const invoke = async (functionId: string, payload: unknown): Promise<Outcome> => {
      calls.push({ functionId, payload });
      if (calls.length === 1) {
        return {
          result: {
            status: 'waiting',
            repos: ['acme/web-app'],
            reason: 'budget',
            resumeAt: resetAt,
            resume: left,
          },
        };
      }
      return { result: { status: 'succeeded', resumeAt: null, resume: null } };
    };
    const execution = await runStateMachine(
      definition,
      { schedule: 'daily' },
      invoke,
      { executionInput: { schedule: 'daily' } },
      { wait: async (timestamp) => void waited.push(timestamp) },
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect(waited).toEqual([resetAt]);
    expect(calls.map((call) => call.payload)).toEqual([
      { schedule: 'daily' },
      { input: { schedule: 'daily' }, resume: left },
    ]);
    expect(new Set(calls.map((call) => call.functionId))).toEqual(new Set([functionOf(job)]));
  });

  it('fails at once when the function fails (its bound reached, or a source failed), never waiting', async () => {
    const [, definition] = machineOf(job);
    let calls = 0;
    const execution = await runStateMachine(
      definition,
      {},
      async () => {
        calls++;
        return { errorType: 'CollectionFailedError', errorMessage: 'collection of 2026-10 failed' };
      },
      { executionInput: {} },
      {
        wait: async () => {
          throw new Error('must not wait');
        },
      },
    );
    expect(execution).toMatchObject({ status: 'FAILED', error: 'CollectionFailedError' });
    expect(calls).toBe(1);
  });

  it('fails the execution when a function reports a reset that is not a timestamp', async () => {
    const [, definition] = machineOf(job);
    const execution = await runStateMachine(
      definition,
      {},
      async () => ({ result: { resumeAt: 'in an hour', resume: { kinds: ['commits'], attempt: 1 } } }),
      { executionInput: {} },
      { wait: async () => {} },
    );
    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
  });
});

describe('a job that does not read GitHub', () => {
  it('is invoked by its schedule directly, with no state machine', () => {
    const machines = resourcesOfType(app.resources, 'AWS::StepFunctions::StateMachine').map(([id]) => id);
    expect(machines.filter((id) => id.startsWith('ReportStatus'))).toEqual([]);
    expect(ruleOf('ReportStatus').Arn).toEqual({ 'Fn::GetAtt': [functionOf('ReportStatus'), 'Arn'] });
  });
});
