import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFunctionConfig } from '../../lambdas/runtime/config.ts';
import { EvidenceFunction, PROJECT_ROOT } from '../../lib/constructs/evidence-function.ts';
import { parseScheduleExpression } from '../../lib/constructs/scheduled-job.ts';
import { JOB_ENVIRONMENT_KEYS } from '../../lib/evidence-stack.ts';
import {
  FIXTURE_JOB,
  resourcesOfType,
  type SynthesizedEvidenceApp,
  synthesizeEvidenceApp,
} from './evidence-app.ts';

let synthesized: SynthesizedEvidenceApp;
let functions: [string, NonNullable<SynthesizedEvidenceApp['resources'][string]>][];

/**
 * Run a bundled handler the way Lambda does: plain Node, ESM, outside vitest's module runner
 * (which would supply `require` and `__dirname` that the bundle must provide itself).
 */
function invokeBundledHandler(directory: string, event: unknown): unknown {
  const script = `import(${JSON.stringify(pathToFileURL(join(directory, 'index.mjs')).href)}).then((m) => m.handler(${JSON.stringify(event)})).then((r) => process.stdout.write(JSON.stringify(r)))`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(output);
}

function environmentOf(
  fn: NonNullable<SynthesizedEvidenceApp['resources'][string]>,
): Record<string, unknown> {
  return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

/** The asset folder of a function's code: CDK names it after the zip's content hash. */
function bundleDirectoryOf(fn: NonNullable<SynthesizedEvidenceApp['resources'][string]>): string {
  const s3Key = (fn.Properties.Code as { S3Key: string }).S3Key;
  return join(synthesized.assembly.directory, `asset.${s3Key.replace(/\.zip$/, '')}`);
}

/** A GitHub Enterprise Server, as an operator would write it (trailing slash included). */
const GHES_API_URL = 'https://github.example.com/api/v3';

beforeAll(() => {
  synthesized = synthesizeEvidenceApp({ context: { 'cm01:githubApiUrl': `${GHES_API_URL}/` } });
  functions = resourcesOfType(synthesized.resources, 'AWS::Lambda::Function');
});

afterAll(() => synthesized.dispose());

describe('every function built by the shared wrapper', () => {
  it('exists for each job, fan-out listing and per-repository collector', () => {
    // collect-pull-requests, build-pack, report-status, collect-deployments (list + each)
    expect(functions).toHaveLength(5);
  });

  it('runs Node.js 22 on ARM64 with X-Ray tracing and source maps', () => {
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
        Environment: { Variables: expect.objectContaining({ NODE_OPTIONS: '--enable-source-maps' }) },
      });
    }
  });

  it('logs to its own log group kept for more than a year and retained', () => {
    for (const [id, fn] of functions) {
      const logGroupRef = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      const logGroup = synthesized.resources[logGroupRef];
      expect(logGroup?.Type, id).toBe('AWS::Logs::LogGroup');
      expect(logGroup?.Properties.RetentionInDays, id).toBeGreaterThanOrEqual(365);
      expect(logGroup?.DeletionPolicy, id).toBe('Retain');
    }
  });

  it('uses a role of its own with no AWS managed policy', () => {
    const roleIds = new Set(
      functions.map(([, fn]) => (fn.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]),
    );
    expect(roleIds.size).toBe(functions.length);
    for (const [id, role] of resourcesOfType(synthesized.resources, 'AWS::IAM::Role')) {
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
    }
  });

  it('receives the store, organisation and credential location, never a secret value', () => {
    const secretId = resourcesOfType(synthesized.resources, 'AWS::SecretsManager::Secret')[0]?.[0];
    for (const [id, fn] of functions) {
      const variables = environmentOf(fn);
      const keys = id.startsWith('ReportStatusJob') ? JOB_ENVIRONMENT_KEYS.slice(0, 3) : JOB_ENVIRONMENT_KEYS;
      for (const key of keys) expect(variables, `${id} ${key}`).toHaveProperty(key);
      expect(variables.CM01_ORG).toBe('acme');
      if (id.startsWith('ReportStatusJob')) {
        // A read-only job never talks to GitHub: it is not told where the credential is.
        expect(variables.CM01_GITHUB_SECRET_ARN, id).toBeUndefined();
        expect(variables.CM01_GITHUB_API_URL, id).toBeUndefined();
      } else {
        expect(variables.CM01_GITHUB_SECRET_ARN, id).toEqual({ Ref: secretId });
        // The stack's setting (cm01:githubApiUrl), normalised; read by the runtime config.
        expect(variables.CM01_GITHUB_API_URL, id).toBe(GHES_API_URL);
      }
      const serialized = JSON.stringify(variables);
      expect(serialized).not.toMatch(/resolve:secretsmanager|SecretString|GITHUB_TOKEN|ghp_/i);
    }
  });

  it('holds no environment variable the runtime does not read', () => {
    // Which variables the runtime configuration really reads, observed rather than listed.
    const read = new Set<string>();
    const recording = new Proxy(
      { CM01_BUCKET: 'b', CM01_TABLE: 't', CM01_ORG: 'o', CM01_GITHUB_API_URL: 'https://api.github.com' },
      {
        get(target, key) {
          if (typeof key === 'string') read.add(key);
          return Reflect.get(target, key);
        },
      },
    ) as NodeJS.ProcessEnv;
    readFunctionConfig(recording);
    expect(read.size).toBeGreaterThanOrEqual(5);
    for (const [id, fn] of functions) {
      for (const variable of Object.keys(environmentOf(fn))) {
        // NODE_OPTIONS is read by Node itself (source maps in stack traces).
        if (variable === 'NODE_OPTIONS') continue;
        expect(read, `${id} ${variable}`).toContain(variable);
      }
    }
  });

  it('bundles an ESM handler with its source map that runs as deployed', () => {
    for (const [id, fn] of functions) {
      const directory = bundleDirectoryOf(fn);
      expect(existsSync(join(directory, 'index.mjs.map')), id).toBe(true);
      expect(readFileSync(join(directory, 'index.mjs'), 'utf8')).toContain('createRequire');
    }
    const jobFunction = functions.find(([id]) => id.startsWith('ReportStatusJob'));
    if (!jobFunction) throw new Error('expected the report-status job');
    const directory = bundleDirectoryOf(jobFunction[1]);
    expect(invokeBundledHandler(directory, { period: '2026-10' })).toEqual({
      received: { period: '2026-10' },
    });
  });

  it('leaves no path of the build machine in the template', () => {
    expect(JSON.stringify(synthesized.template.toJSON())).not.toContain(PROJECT_ROOT);
  });

  it('sets memory and timeout from the job definition', () => {
    const buildPack = functions.find(([id]) => id.startsWith('BuildPackJob'));
    expect(buildPack?.[1].Properties).toMatchObject({ MemorySize: 2048, Timeout: 900 });
    const collect = functions.find(([id]) => id.startsWith('CollectPullRequestsJob'));
    expect(collect?.[1].Properties).toMatchObject({ MemorySize: 512, Timeout: 300 });
  });
});

describe('bundles that read files beside themselves', () => {
  it('get __dirname in ESM and the files copied into the bundle', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'cm01-infra-'));
    try {
      const app = new App({ outdir });
      const stack = new Stack(app, 'Copies');
      new EvidenceFunction(stack, 'Fn', {
        entry: 'test/infra/fixtures/reads-beside-itself-handler.ts',
        copyIntoBundle: [{ from: 'test/infra/fixtures/bundle-data.txt', to: 'data/bundle-data.txt' }],
      });
      const assembly = app.synth();
      const template = assembly.getStackByName('Copies').template as {
        Resources: Record<string, { Type: string; Properties: { Code?: { S3Key: string } } }>;
      };
      const fn = Object.values(template.Resources).find(
        (resource) => resource.Type === 'AWS::Lambda::Function',
      );
      const directory = join(outdir, `asset.${fn?.Properties.Code?.S3Key.replace(/\.zip$/, '')}`);
      expect(invokeBundledHandler(directory, {})).toBe('copied beside the bundle');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('refuses copies from outside the repository', () => {
    const stack = new Stack(new App(), 'Outside');
    expect(
      () =>
        new EvidenceFunction(stack, 'Fn', {
          entry: FIXTURE_JOB,
          copyIntoBundle: [{ from: '../secrets', to: 'data' }],
        }),
    ).toThrow(/inside the repository/);
  });
});

describe('the wrapper refuses unsafe settings', () => {
  it('refuses log retention shorter than a year', () => {
    const stack = new Stack(new App(), 'Short');
    expect(() => new EvidenceFunction(stack, 'Fn', { entry: FIXTURE_JOB, logRetention: 90 })).toThrow(
      /shorter than 365/,
    );
  });

  it('refuses memory outside what Lambda offers', () => {
    const stack = new Stack(new App(), 'Memory');
    expect(() => new EvidenceFunction(stack, 'Fn', { entry: FIXTURE_JOB, memorySize: 64 })).toThrow(
      /128–10240/,
    );
  });
});

describe('scheduled jobs', () => {
  it('run on their EventBridge schedule with their fixed input', () => {
    synthesized.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 6 1 * ? *)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Input: JSON.stringify({ trigger: 'monthly' }),
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BuildPackDeadLetterQueue'), 'Arn'] },
          },
          RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 2 }),
        }),
      ],
    });
    synthesized.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(15 2 * * ? *)',
      Targets: [Match.objectLike({ Input: '{}' })],
    });
  });

  it('send failed asynchronous runs to a dead-letter queue and never overlap', () => {
    for (const [id, fn] of functions.filter(([functionId]) => /JobFunction/.test(functionId))) {
      expect(fn.Properties.DeadLetterConfig, id).toEqual({
        TargetArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] },
      });
      expect(fn.Properties.ReservedConcurrentExecutions, id).toBe(1);
    }
  });

  it('raise an alarm to the topic on a function error and on a dead letter', () => {
    const topicId = resourcesOfType(synthesized.resources, 'AWS::SNS::Topic')[0]?.[0];
    const alarms = resourcesOfType(synthesized.resources, 'AWS::CloudWatch::Alarm');
    const metricsAlarmed = alarms.map(([, alarm]) => alarm.Properties.MetricName);
    expect(metricsAlarmed.filter((name) => name === 'Errors')).toHaveLength(3);
    expect(metricsAlarmed).toContain('ApproximateNumberOfMessagesVisible');
    expect(metricsAlarmed).toContain('ExecutionsFailed');
    for (const [id, alarm] of alarms) {
      expect(alarm.Properties.AlarmActions, id).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.Threshold, id).toBe(1);
    }
  });

  it('accept cron with six fields and rate, and refuse anything else at synth', () => {
    expect(() => parseScheduleExpression('job', 'cron(0 2 * * ? *)')).not.toThrow();
    expect(() => parseScheduleExpression('job', 'rate(1 hour)')).not.toThrow();
    expect(() => parseScheduleExpression('job', 'cron(0 2 * * *)')).toThrow(/6 cron fields/);
    expect(() => parseScheduleExpression('job', 'cron(0 2 1 * 1 *)')).toThrow(/"\?"/);
    expect(() => parseScheduleExpression('job', 'every night')).toThrow(/neither/);
  });
});

describe('per-repository fan-out', () => {
  it('lists repositories, then collects each in a bounded Map, logged and traced', () => {
    // The single-function jobs that read GitHub have a machine each too (job-budget-wait.test.ts).
    const machines = resourcesOfType(synthesized.resources, 'AWS::StepFunctions::StateMachine').filter(
      ([id]) => id.startsWith('CollectDeployments'),
    );
    expect(machines).toHaveLength(1);
    const properties = machines[0]?.[1].Properties ?? {};
    expect(properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(properties.LoggingConfiguration).toMatchObject({ Level: 'ALL' });
    const definition = JSON.parse(
      (properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
        .map((part) => (typeof part === 'string' ? part : 'ref'))
        .join(''),
    ) as { StartAt: string; States: Record<string, Record<string, unknown>> };
    expect(definition.StartAt).toBe('ListRepositories');
    expect(definition.States.EachRepository).toMatchObject({
      Type: 'Map',
      MaxConcurrency: 3,
      ItemsPath: '$.listed.repositories',
      ItemSelector: { 'repo.$': '$$.Map.Item.Value', 'input.$': '$$.Execution.Input' },
    });
  });

  it('is started by its schedule', () => {
    synthesized.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(30 2 * * ? *)',
      Targets: [
        Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^CollectDeploymentsStateMachine') } }),
      ],
    });
  });
});
