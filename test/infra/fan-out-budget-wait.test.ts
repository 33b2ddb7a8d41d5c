import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Outcome,
  runStateMachine,
  type StateMachineDefinition,
  stateMachineDefinition,
} from '../e2e/lambda/deployed-stack.ts';
import { resourcesOfType, type SynthesizedEvidenceApp, synthesizeEvidenceApp } from './evidence-app.ts';

/**
 * The fan-out's wait-and-resume path, on the synthesised template: a repository whose GitHub
 * budget ran out waits in a Wait state until the reset its function reported (GitHub's
 * `x-ratelimit-reset`), then the same repository is collected again with only the kinds left.
 * The function itself never waits. The definition is run by the same interpreter the deployed
 * bundles are run by, with stand-in functions.
 */
let app: SynthesizedEvidenceApp;
let definition: StateMachineDefinition;
let timeoutSeconds: unknown;

beforeAll(() => {
  app = synthesizeEvidenceApp();
  // The fan-out's machine (the single-function jobs that read GitHub have one each too).
  const machine = resourcesOfType(app.resources, 'AWS::StepFunctions::StateMachine').find(([id]) =>
    id.startsWith('CollectDeployments'),
  );
  if (!machine) throw new Error('no fan-out state machine');
  definition = stateMachineDefinition(machine[1]);
  timeoutSeconds = (definition as unknown as { TimeoutSeconds?: unknown }).TimeoutSeconds;
}, 300_000);

afterAll(() => app?.dispose());

type ItemProcessor = StateMachineDefinition & { States: Record<string, Record<string, unknown>> };

function itemProcessor(): ItemProcessor {
  const map = definition.States.EachRepository as unknown as { ItemProcessor: ItemProcessor };
  return map.ItemProcessor;
}

describe('the fan-out state machine', () => {
  it('collects a repository, and when its budget ran out waits until the reported reset, then resumes it', () => {
    const states = itemProcessor().States;
    expect(itemProcessor().StartAt).toBe('CollectRepository');
    expect(states.CollectRepository).toMatchObject({
      Type: 'Task',
      ResultSelector: { 'resumeAt.$': '$.resumeAt', 'resume.$': '$.resume' },
      ResultPath: '$.collected',
      Next: 'BudgetRanOut',
    });
    expect(states.BudgetRanOut).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.collected.resumeAt', IsNull: false, Next: 'WaitForRateLimitReset' }],
      Default: 'RepositoryCollected',
    });
    expect(states.WaitForRateLimitReset).toMatchObject({
      Type: 'Wait',
      TimestampPath: '$.collected.resumeAt',
      Next: 'ResumeRepository',
    });
    // Only the item's own fields go back to the function: its last result never does.
    expect(states.ResumeRepository).toMatchObject({
      Type: 'Pass',
      Parameters: { 'repo.$': '$.repo', 'input.$': '$.input', 'resume.$': '$.collected.resume' },
      Next: 'CollectRepository',
    });
    expect(states.RepositoryCollected).toMatchObject({ Type: 'Succeed' });
    // No state waits a fixed time, and nothing else loops.
    const waits = Object.values(states).filter((state) => state.Type === 'Wait');
    expect(waits).toHaveLength(1);
    expect(waits[0]).not.toHaveProperty('Seconds');
  });

  it('gives a run time for several resets, within a day', () => {
    expect(timeoutSeconds).toBe(23 * 3600);
  });

  it('runs the wait-and-resume path: a waiting repository is called again after its reset with the kinds left', async () => {
    const resetAt = new Date(Date.now() + 60 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const calls: { functionId: string; payload: unknown }[] = [];
    const waited: string[] = [];
    let webAppCalls = 0;
    const invoke = async (functionId: string, payload: unknown): Promise<Outcome> => {
      calls.push({ functionId, payload });
      const item = payload as { repo?: string };
      if (item.repo === undefined) return { result: { repositories: ['acme/web-app', 'acme/infra'] } };
      if (item.repo === 'acme/web-app' && webAppCalls++ === 0) {
        return {
          result: {
            status: 'waiting',
            repos: ['acme/web-app'],
            reason: 'budget ran out part-way',
            resumeAt: resetAt,
            resume: { kinds: ['commits', 'teams'], attempt: 1 },
            runId: 'r1',
          },
        };
      }
      return { result: { status: 'succeeded', repos: [item.repo], resumeAt: null, resume: null } };
    };
    const execution = await runStateMachine(
      definition,
      { period: '2026-10' },
      invoke,
      { executionInput: { period: '2026-10' } },
      {
        wait: async (timestamp) => {
          waited.push(timestamp);
        },
      },
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect(waited).toEqual([resetAt]);
    expect(calls.map((call) => call.payload)).toEqual([
      { period: '2026-10' },
      { repo: 'acme/web-app', input: { period: '2026-10' } },
      {
        repo: 'acme/web-app',
        input: { period: '2026-10' },
        resume: { kinds: ['commits', 'teams'], attempt: 1 },
      },
      { repo: 'acme/infra', input: { period: '2026-10' } },
    ]);
    expect(new Set(calls.slice(1).map((call) => call.functionId)).size).toBe(1);
  });

  it('fails the execution when a function reports a reset that is not a timestamp', async () => {
    const execution = await runStateMachine(
      definition,
      {},
      async (_functionId, payload) =>
        (payload as { repo?: string }).repo === undefined
          ? { result: { repositories: ['acme/web-app'] } }
          : { result: { resumeAt: 'in an hour', resume: { kinds: ['commits'], attempt: 1 } } },
      { executionInput: {} },
      { wait: async () => {} },
    );
    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
  });
});
