import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import {
  GetObjectCommand,
  GetObjectRetentionCommand,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../emulator/server.ts';
import { loadWorld } from '../../emulator/world.ts';
import { cm01 } from '../cli/run-cli.ts';
import {
  type DeployedFunction,
  deployedFunctions,
  type Execution,
  LambdaContainer,
  type Outcome,
  resourcesOfType,
  runStateMachine,
  SecretsManagerStandIn,
  type StateMachineDefinition,
  type SynthesizedStack,
  selfSignedCertificate,
  stateMachineDefinition,
  synthesizeWithCdkCli,
} from './lambda/deployed-stack.ts';
import { type KmsStandIn, startKmsStandIn } from './lambda/kms-stand-in.ts';

/**
 * The deployed code, run as Lambda runs it: the stack is synthesised once by the CDK command
 * line (`cdk synth -c …`, as an operator does), and each function's bundle — the esbuild output
 * in the cloud assembly, not the sources — is imported as an ES module by bare Node in a
 * process of its own, with the function's environment exactly as the template sets it
 * (references resolved to this test's bucket, table and secret, as CloudFormation would).
 *
 * Around the bundles: Ceph RGW (S3 with Object Lock) and DynamoDB Local, the GitHub emulator on
 * the demo organisation serving https with GitHub Enterprise Server's paths (the stack's
 * `cm01:githubApiUrl`), and — because no Secrets Manager server can run here — a stand-in
 * speaking Secrets Manager's JSON protocol, reached by the functions' own AWS SDK through the
 * standard `AWS_ENDPOINT_URL_SECRETS_MANAGER`. The functions read their credential through the
 * same code path as in AWS.
 *
 * Schedules are taken from the stack's EventBridge rules (their fixed input); fan-out jobs run
 * through their state machine's definition as Step Functions would run it.
 */

const WORLD = 'emulator/worlds/demo.world.json';
const suffix = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const BUCKET = `cm01-lambda-${suffix}`;
const TABLE = `cm01-lambda-${suffix}`;
const SECRET_ARN = `arn:aws:secretsmanager:us-east-1:123456789012:secret:cm01/github-${suffix.slice(0, 6).padEnd(6, 'x')}`;
/** The operator's token, stored bare as docs/deploy.md says; it must never reach a log. */
const TOKEN = `github_pat_11CM01${randomBytes(24).toString('hex')}`;

let work: string;
let emulator: Emulator;
let certificate: { key: string; cert: string };
let secrets: SecretsManagerStandIn;
let kms: KmsStandIn;
const SIGNING_KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/5e1f0c2a-0000-4000-8000-000000000001';
let stack: SynthesizedStack;
let functions: Map<string, DeployedFunction>;
let platform: Record<string, string>;
let s3: S3Client;
let dynamo: DynamoDBClient;
const containers: LambdaContainer[] = [];

interface Schedule {
  readonly ruleId: string;
  readonly input: unknown;
  readonly functionId?: string;
  readonly stateMachineId?: string;
}
let schedules: Schedule[];

function fn(prefix: string): DeployedFunction {
  const found = [...functions.values()].filter((f) => f.logicalId.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one function ${prefix}*, found ${found.length}`);
  return found[0] as DeployedFunction;
}

/** A fresh execution environment: a cold start (the credential is read again). */
function coldContainer(f: DeployedFunction): LambdaContainer {
  const container = new LambdaContainer(f, platform);
  containers.push(container);
  return container;
}

const warm = new Map<string, LambdaContainer>();
/** The warm execution environment of a function, made on first use. */
function invoke(functionId: string, event: unknown): Promise<Outcome> {
  let container = warm.get(functionId);
  if (!container) {
    const f = functions.get(functionId);
    if (!f) throw new Error(`no function ${functionId}`);
    container = coldContainer(f);
    warm.set(functionId, container);
  }
  return container.invoke(event);
}

function definitionOf(stateMachineId: string): StateMachineDefinition {
  const resource = stack.template.Resources[stateMachineId];
  if (!resource) throw new Error(`no state machine ${stateMachineId}`);
  return stateMachineDefinition(resource);
}

function scheduleOf(prefix: string): Schedule {
  const found = schedules.find((s) => s.ruleId.startsWith(prefix));
  if (!found) throw new Error(`no schedule ${prefix}*`);
  return found;
}

/**
 * A single-function job as its schedule starts it: its state machine with the schedule's input,
 * invoking the bundle; the function's last answer is the job's outcome.
 */
async function runOnSchedule(job: string): Promise<Outcome> {
  const schedule = scheduleOf(job);
  if (schedule.stateMachineId === undefined) throw new Error(`${job}: the schedule starts no state machine`);
  let last: Outcome | undefined;
  const execution = await runStateMachine(
    definitionOf(schedule.stateMachineId),
    schedule.input,
    async (functionId, payload) => {
      expect(functionId).toBe(fn(`${job}Job`).logicalId);
      last = await invoke(functionId, payload);
      return last;
    },
  );
  if (!last) throw new Error(`${job}: the state machine invoked nothing`);
  if (execution.status === 'FAILED' && last.errorType === undefined)
    throw new Error(`${job}: ${execution.error}: ${execution.cause}`);
  return last;
}

/** Every object version in the bucket, as `key versionId`. */
async function bucketVersions(): Promise<Set<string>> {
  const versions = new Set<string>();
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  do {
    const page: ListObjectVersionsCommandOutput = await s3.send(
      new ListObjectVersionsCommand({ Bucket: BUCKET, KeyMarker: keyMarker, VersionIdMarker: versionMarker }),
    );
    for (const v of page.Versions ?? []) versions.add(`${v.Key} ${v.VersionId}`);
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker);
  return versions;
}

/** Every index row, as `key versionId`. */
async function indexRows(): Promise<Set<string>> {
  const rows = new Set<string>();
  let start: ScanCommandOutput['LastEvaluatedKey'];
  do {
    const page: ScanCommandOutput = await dynamo.send(
      new ScanCommand({
        TableName: TABLE,
        ProjectionExpression: '#k, versionId',
        ExpressionAttributeNames: { '#k': 'key' },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      if (item.key?.S && item.versionId?.S) rows.add(`${item.key.S} ${item.versionId.S}`);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return rows;
}

/** What one run added to the bucket, each version checked locked and (evidence) indexed. */
async function writtenBy(run: () => Promise<unknown>): Promise<string[]> {
  const before = await bucketVersions();
  await run();
  const added = [...(await bucketVersions())].filter((v) => !before.has(v)).sort();
  const indexed = await indexRows();
  const minimumRetainUntil = Date.now() + 364 * 86_400_000;
  for (const version of added) {
    const [key, versionId] = version.split(' ') as [string, string];
    const retention = await s3.send(
      new GetObjectRetentionCommand({ Bucket: BUCKET, Key: key, VersionId: versionId }),
    );
    expect(retention.Retention?.Mode, key).toBe('COMPLIANCE');
    expect(retention.Retention?.RetainUntilDate?.getTime(), key).toBeGreaterThan(minimumRetainUntil);
    if (key.startsWith('evidence/')) expect(indexed, `${key} is indexed`).toContain(version);
  }
  return added.map((v) => v.split(' ')[0] as string);
}

/** `evidence/acme/<repo>/<kind>/…` → kind. */
function kindsOf(keys: readonly string[]): Set<string> {
  return new Set(keys.filter((k) => k.startsWith('evidence/')).map((k) => k.split('/')[3] as string));
}

/** Lambda refuses a synchronous invocation's response above 6 MB. */
const RESPONSE_LIMIT = 6 * 1024 * 1024;

function succeeded(outcome: Outcome): Record<string, unknown> {
  if (outcome.errorType !== undefined) {
    throw new Error(`invocation failed: ${outcome.errorType}: ${outcome.errorMessage}`);
  }
  expect(JSON.stringify(outcome.result).length).toBeLessThan(RESPONSE_LIMIT);
  return outcome.result as Record<string, unknown>;
}

/** The month before `now`, as the monthly schedule takes it. */
function previousMonth(now: Date): string {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return start.toISOString().slice(0, 7);
}

function setReadOnly(dir: string): void {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) setReadOnly(path);
    chmodSync(path, statSync(path).isDirectory() ? 0o555 : 0o444);
  }
  chmodSync(dir, 0o555);
}

function setWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) setWritable(path);
    else chmodSync(path, 0o644);
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'cm01-lambda-'));
  const tls = selfSignedCertificate(work);
  certificate = tls;
  emulator = await startEmulator({
    world: await loadWorld(WORLD),
    tls: { key: tls.key, cert: tls.cert },
    enterpriseServerPaths: true,
    tokens: { [TOKEN]: 'cm01-collector' },
  });
  secrets = new SecretsManagerStandIn();
  await secrets.start();
  secrets.put(SECRET_ARN, TOKEN);
  kms = await startKmsStandIn(SIGNING_KEY_ARN);

  stack = await synthesizeWithCdkCli(join(work, 'cdk.out'), {
    'cm01:org': 'acme',
    'cm01:stage': 'e2e',
    'cm01:githubApiUrl': emulator.url,
  });
  // Lambda's /var/task is read-only: a bundle that writes beside itself fails here too.
  for (const entry of readdirSync(stack.directory)) {
    if (entry.startsWith('asset.')) setReadOnly(join(stack.directory, entry));
  }
  functions = deployedFunctions(stack, {
    'AWS::S3::Bucket': BUCKET,
    'AWS::DynamoDB::Table': TABLE,
    'AWS::SecretsManager::Secret': SECRET_ARN,
    'AWS::KMS::Key': SIGNING_KEY_ARN,
  });
  schedules = resourcesOfType(stack.template, 'AWS::Events::Rule').map(([ruleId, rule]) => {
    const [target] = rule.Properties.Targets as {
      Arn: { Ref?: string; 'Fn::GetAtt'?: [string] };
      Input: string;
    }[];
    if (!target) throw new Error(`${ruleId} has no target`);
    const functionId = target.Arn['Fn::GetAtt']?.[0];
    const stateMachineId = target.Arn.Ref;
    return {
      ruleId,
      input: JSON.parse(target.Input),
      ...(functionId ? { functionId } : {}),
      ...(stateMachineId ? { stateMachineId } : {}),
    };
  });

  const init = cm01(['store', 'init', '--store', `s3://${BUCKET}?table=${TABLE}`]);
  if (init.status !== 0) throw new Error(`store init failed: ${init.stderr}`);

  const variable = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set (the servers project sets it)`);
    return value;
  };
  platform = {
    // Lambda gives each function its role's temporary credentials and its region.
    AWS_REGION: variable('AWS_REGION'),
    AWS_DEFAULT_REGION: variable('AWS_REGION'),
    AWS_ACCESS_KEY_ID: variable('AWS_ACCESS_KEY_ID'),
    AWS_SECRET_ACCESS_KEY: variable('AWS_SECRET_ACCESS_KEY'),
    // Stand-ins for the AWS endpoints, through the SDK's standard variables.
    AWS_ENDPOINT_URL_S3: variable('AWS_ENDPOINT_URL_S3'),
    AWS_ENDPOINT_URL_DYNAMODB: variable('AWS_ENDPOINT_URL_DYNAMODB'),
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    // The pack job signs its seal with the stack's KMS key, through the SDK as on AWS.
    AWS_ENDPOINT_URL_KMS: kms.url,
    // Trust for the emulator's self-signed certificate (a real GHES has a public one).
    NODE_EXTRA_CA_CERTS: tls.certFile,
  };
  s3 = new S3Client({ forcePathStyle: true });
  dynamo = new DynamoDBClient({});
}, 600_000);

afterAll(async () => {
  await Promise.all(containers.map((c) => c.close()));
  await secrets?.stop();
  await kms?.close();
  await emulator?.close();
  s3?.destroy();
  dynamo?.destroy();
  if (stack) {
    for (const entry of readdirSync(stack.directory)) {
      if (entry.startsWith('asset.')) setWritable(join(stack.directory, entry));
    }
  }
  rmSync(work, { recursive: true, force: true });
});

describe('the synthesised stack', () => {
  it('has one bundle per function, and the schedules the docs name', () => {
    expect([...functions.keys()].sort()).toEqual([
      expect.stringMatching(/^BuildPackJob/),
      expect.stringMatching(/^CollectDeploymentsEach/),
      expect.stringMatching(/^CollectDeploymentsList/),
      expect.stringMatching(/^CollectOverridesJob/),
      expect.stringMatching(/^CollectPullRequestsEach/),
      expect.stringMatching(/^CollectPullRequestsList/),
      expect.stringMatching(/^SnapshotProtectionJob/),
    ]);
    expect(schedules.map((s) => [s.ruleId.replace(/Schedule.*$/, ''), s.input])).toEqual(
      expect.arrayContaining([
        ['SnapshotProtection', { schedule: 'daily' }],
        ['CollectPullRequests', { schedule: 'daily' }],
        ['CollectDeployments', { schedule: 'daily' }],
        ['CollectOverrides', { schedule: 'daily' }],
        ['BuildPack', { schedule: 'monthly' }],
      ]),
    );
    expect(schedules).toHaveLength(5);
    // Every job reads GitHub: each schedule starts a state machine that can wait for the reset.
    for (const schedule of schedules) expect(schedule.stateMachineId, schedule.ruleId).toBeDefined();
  });

  it('gives every GitHub-facing function the GitHub Enterprise Server URL of the context', () => {
    for (const f of functions.values()) {
      expect(f.environment.CM01_GITHUB_API_URL, f.logicalId).toBe(emulator.url);
      expect(f.environment.CM01_GITHUB_SECRET_ARN, f.logicalId).toBe(SECRET_ARN);
    }
    expect(emulator.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/api\/v3$/);
  });
});

describe('each bundle on demand', () => {
  it('a fan-out item collects one repository for a named month', async () => {
    let outcome: Outcome | undefined;
    const keys = await writtenBy(async () => {
      outcome = await invoke(fn('CollectPullRequestsEach').logicalId, {
        repo: 'acme/payments-api',
        input: { period: '2026-10' },
      });
    });
    const summary = succeeded(outcome as Outcome);
    expect(summary.repos).toEqual(['acme/payments-api']);
    // First run on a new bucket: October's pull requests of that one repository are new.
    expect((summary.counts as Record<string, number>)['pull-request']).toBeGreaterThan(5);
    expect(keys.some((k) => k.startsWith('evidence/acme/payments-api/pull-request/2026/10/'))).toBe(true);
    expect(kindsOf(keys)).toContain('collection-run');
    expect(keys.every((k) => !k.includes('/web-app/') && !k.includes('/infra/'))).toBe(true);
  });

  it('the lister takes the repositories of the event', async () => {
    const outcome = await invoke(fn('CollectDeploymentsList').logicalId, {
      period: '2026-10',
      repos: ['web-app'],
    });
    expect(succeeded(outcome)).toEqual({ repositories: ['acme/web-app'] });
  });

  it('build-pack builds a named month with a named profile', async () => {
    let outcome: Outcome | undefined;
    const keys = await writtenBy(async () => {
      outcome = await invoke(fn('BuildPackJob').logicalId, { period: '2026-10', profile: 'clicki' });
    });
    const result = succeeded(outcome as Outcome);
    expect(result).toMatchObject({ period: '2026-10', profile: 'clicki' });
    expect(result.changes as number).toBeGreaterThan(30);
    expect(keys).toContain('packs/2026-10/cm01-acme-2026-10-clicki.pdf');
    // The bundled job also publishes the evidence room beside the packs (charts drawn in the bundle).
    expect(result.room).toMatchObject({ index: 'packs/room/index.html' });
    expect(keys).toContain('packs/room/index.html');
    expect(keys.filter((k) => k.startsWith('packs/room/trends/'))).not.toEqual([]);
  }, 600_000);
});

describe('each bundle on its schedule', () => {
  it('snapshot-protection snapshots branch protection and teams', async () => {
    let outcome: Outcome | undefined;
    const keys = await writtenBy(async () => {
      outcome = await runOnSchedule('SnapshotProtection');
    });
    const summary = succeeded(outcome as Outcome);
    expect(summary.status).toBe('succeeded');
    // Snapshots equal to ones already stored (the pack above re-collected them) are not written
    // again; they are counted as unchanged.
    const seen = new Set([
      ...Object.keys(summary.counts as Record<string, number>),
      ...Object.keys(summary.unchanged as Record<string, number>),
    ]);
    expect(seen).toEqual(new Set(['branch-protection', 'team-membership']));
    for (const kind of kindsOf(keys))
      expect(['branch-protection', 'collection-run', 'team-membership']).toContain(kind);
    expect(kindsOf(keys)).toContain('collection-run');
  });

  it.each([
    ['CollectPullRequests', 'CollectPullRequestsEach'],
    ['CollectDeployments', 'CollectDeploymentsEach'],
  ])('%s fans out: its lister names every repository, one collection each', async (job, each) => {
    const schedule = scheduleOf(job);
    const calls: { functionId: string; payload: unknown }[] = [];
    let execution: Execution | undefined;
    const keys = await writtenBy(async () => {
      execution = await runStateMachine(
        definitionOf(schedule.stateMachineId as string),
        schedule.input,
        (functionId, payload) => {
          calls.push({ functionId, payload });
          return invoke(functionId, payload);
        },
      );
    });
    expect(execution).toMatchObject({ status: 'SUCCEEDED' });
    const repositories = ['acme/infra', 'acme/payments-api', 'acme/web-app'];
    expect(calls.map((c) => c.payload)).toEqual([
      { schedule: 'daily' },
      ...repositories.map((repo) => ({ repo, input: { schedule: 'daily' } })),
    ]);
    expect(calls.slice(1).every((c) => c.functionId === fn(each).logicalId)).toBe(true);
    // One collection-run record per repository, each stored locked and indexed.
    const runs = keys.filter((k) => k.includes('/collection-run/'));
    expect(runs).toHaveLength(3);
  });

  it('collect-overrides collects the organisation', async () => {
    let outcome: Outcome | undefined;
    const keys = await writtenBy(async () => {
      outcome = await runOnSchedule('CollectOverrides');
    });
    expect(succeeded(outcome as Outcome).status).toBe('succeeded');
    expect(kindsOf(keys)).toContain('collection-run');
  });

  it('build-pack stores the pack of the month before, Object-Locked', async () => {
    const period = previousMonth(new Date());
    let outcome: Outcome | undefined;
    const keys = await writtenBy(async () => {
      outcome = await runOnSchedule('BuildPack');
    });
    const result = succeeded(outcome as Outcome);
    expect(result.period).toBe(period);
    const pdf = `packs/${period}/cm01-acme-${period}-clerk-cm01.pdf`;
    expect(keys).toContain(pdf);
    const body = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: pdf }));
    const bytes = Buffer.from(
      await (body.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  }, 600_000);
});

describe('a fan-out whose GitHub budget runs out', () => {
  it('waits in the state machine until the reset GitHub announced, never in the function, and resumes each repository to the end', async () => {
    // The same deployment against a GitHub whose REST budget is a handful of requests in an
    // emulated hour of seconds: only the function's GitHub URL differs from the template's.
    const WINDOW_SECONDS = 8;
    const limited = await startEmulator({
      world: await loadWorld(WORLD),
      tls: certificate,
      enterpriseServerPaths: true,
      tokens: { [TOKEN]: 'cm01-collector' },
      rateLimits: { core: 8 },
      rateWindowSeconds: WINDOW_SECONDS,
    });
    const onLimited = new Map<string, LambdaContainer>();
    try {
      const schedule = scheduleOf('CollectPullRequests');
      const each = fn('CollectPullRequestsEach').logicalId;
      const waited: string[] = [];
      const returned: { payload: unknown; result: Record<string, unknown>; at: number }[] = [];
      const execution = await runStateMachine(
        definitionOf(schedule.stateMachineId as string),
        { period: '2026-10' },
        async (functionId, payload) => {
          let container = onLimited.get(functionId);
          if (!container) {
            const f = functions.get(functionId) as DeployedFunction;
            container = coldContainer({
              ...f,
              environment: { ...f.environment, CM01_GITHUB_API_URL: limited.url },
            });
            onLimited.set(functionId, container);
          }
          const outcome = await container.invoke(payload);
          if (outcome.errorType === undefined && functionId === each)
            returned.push({ payload, result: outcome.result as Record<string, unknown>, at: Date.now() });
          return outcome;
        },
        undefined,
        {
          wait: async (timestamp) => {
            waited.push(timestamp);
            const ms = Date.parse(timestamp) - Date.now();
            if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
          },
        },
      );
      expect(execution).toMatchObject({ status: 'SUCCEEDED' });
      const waits = returned.filter((r) => r.result.resumeAt !== null);
      expect(waits.length).toBeGreaterThanOrEqual(1);
      expect(waited).toEqual(waits.map((w) => w.result.resumeAt));
      for (const wait of waits) {
        // Had the function slept until the reset, the reset would lie behind its answer.
        expect(Date.parse(wait.result.resumeAt as string)).toBeGreaterThan(wait.at);
        expect(Date.parse(wait.result.resumeAt as string) - wait.at).toBeLessThanOrEqual(
          (WINDOW_SECONDS + 1) * 1000,
        );
      }
      // Every repository ends collected; a resumed call carries the kinds left, nothing else.
      const finished = returned.filter((r) => r.result.resumeAt === null).map((r) => r.result.repos);
      expect(finished).toEqual([['acme/infra'], ['acme/payments-api'], ['acme/web-app']]);
      for (const { payload } of returned) {
        const item = payload as { resume?: { kinds: string[] } };
        if (item.resume) expect(Object.keys(item).sort()).toEqual(['input', 'repo', 'resume']);
      }
      expect(returned.some((r) => (r.payload as { resume?: unknown }).resume !== undefined)).toBe(true);
      for (const wait of waits) expect(wait.result.reason).toMatch(/budget/);
    } finally {
      await Promise.all([...onLimited.values()].map((c) => c.close()));
      await limited.close();
    }
  }, 300_000);
});

describe('a single-function job whose GitHub budget runs out', () => {
  it('snapshot-protection waits in its state machine until the reset GitHub announced, then resumes with the repositories left', async () => {
    const WINDOW_SECONDS = 8;
    const limited = await startEmulator({
      world: await loadWorld(WORLD),
      tls: certificate,
      enterpriseServerPaths: true,
      tokens: { [TOKEN]: 'cm01-collector' },
      rateLimits: { core: 8 },
      rateWindowSeconds: WINDOW_SECONDS,
    });
    let container: LambdaContainer | undefined;
    try {
      const schedule = scheduleOf('SnapshotProtection');
      const job = fn('SnapshotProtectionJob');
      container = coldContainer({
        ...job,
        environment: { ...job.environment, CM01_GITHUB_API_URL: limited.url },
      });
      const waited: string[] = [];
      const returned: { payload: unknown; result: Record<string, unknown>; at: number }[] = [];
      const execution = await runStateMachine(
        definitionOf(schedule.stateMachineId as string),
        { period: '2026-10' },
        async (functionId, payload) => {
          expect(functionId).toBe(job.logicalId);
          const outcome = await (container as LambdaContainer).invoke(payload);
          if (outcome.errorType === undefined)
            returned.push({ payload, result: outcome.result as Record<string, unknown>, at: Date.now() });
          return outcome;
        },
        undefined,
        {
          wait: async (timestamp) => {
            waited.push(timestamp);
            const ms = Date.parse(timestamp) - Date.now();
            if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
          },
        },
      );
      expect(execution).toMatchObject({ status: 'SUCCEEDED' });
      const waits = returned.filter((r) => r.result.resumeAt !== null);
      expect(waits.length).toBeGreaterThanOrEqual(1);
      expect(waited).toEqual(waits.map((w) => w.result.resumeAt));
      for (const wait of waits) {
        // Had the function slept until the reset, the reset would lie behind its answer.
        expect(Date.parse(wait.result.resumeAt as string)).toBeGreaterThan(wait.at);
        expect(wait.result.reason).toMatch(/budget/);
      }
      // A resumed call carries the execution's input and what is left, nothing else.
      const resumed = returned.filter((r) => (r.payload as { resume?: unknown }).resume !== undefined);
      expect(resumed.length).toBe(waits.length);
      for (const { payload } of resumed) {
        expect(Object.keys(payload as object).sort()).toEqual(['input', 'resume']);
        expect((payload as { input: unknown }).input).toEqual({ period: '2026-10' });
      }
      expect(returned.at(-1)?.result).toMatchObject({ status: 'succeeded', resumeAt: null });
    } finally {
      await container?.close();
      await limited.close();
    }
  }, 300_000);
});

describe('a bad on-demand event', () => {
  const badEvents: [string, unknown, string, RegExp][] = [
    ['an impossible month', { period: '2026-13' }, 'period', /^period: /],
    [
      'a month and a range at once',
      { period: '2026-10', from: '2026-10-01T00:00:00Z', to: '2026-10-02T00:00:00Z' },
      'period',
      /^period: give either/,
    ],
    ['a misspelt field', { perod: '2026-10' }, 'perod', /perod/],
    ['repositories that are not a list', { period: '2026-10', repos: 'web-app' }, 'repos', /^repos: /],
  ];

  it.each([
    'SnapshotProtectionJob',
    'CollectPullRequestsList',
    'CollectPullRequestsEach',
    'CollectDeploymentsEach',
    'CollectOverridesJob',
    'BuildPackJob',
  ])('%s throws an InputError (by that name) naming the field, and writes nothing', async (prefix) => {
    const f = fn(prefix);
    const before = await bucketVersions();
    const rowsBefore = await indexRows();
    for (const [, event, field, message] of badEvents) {
      const payload = prefix.endsWith('Each') ? { repo: 'acme/web-app', input: event } : event;
      const outcome = await invoke(f.logicalId, payload);
      expect(outcome, `${prefix} ${JSON.stringify(event)}`).toMatchObject({ errorType: 'InputError' });
      const text = (outcome as { errorMessage: string }).errorMessage;
      expect(text).toMatch(message);
      expect(text).toContain(field);
    }
    expect(await bucketVersions()).toEqual(before);
    expect(await indexRows()).toEqual(rowsBefore);
  });

  it('fails a fan-out execution with the error name a Retry or Catch would match, not retried', async () => {
    const calls: string[] = [];
    const execution = await runStateMachine(
      definitionOf(scheduleOf('CollectPullRequests').stateMachineId as string),
      { period: '2026-13' },
      (functionId, payload) => {
        calls.push(functionId);
        return invoke(functionId, payload);
      },
    );
    expect(execution).toMatchObject({
      status: 'FAILED',
      error: 'InputError',
      cause: expect.stringMatching(/^period: /),
    });
    expect(calls).toHaveLength(1);
  });

  it("names only error names the bundles really throw, or Lambda's own, in the state machines", () => {
    const named = new Set<string>();
    const walk = (definition: StateMachineDefinition): void => {
      for (const state of Object.values(definition.States) as {
        Retry?: { ErrorEquals: string[] }[];
        Catch?: { ErrorEquals: string[] }[];
        ItemProcessor?: StateMachineDefinition;
      }[]) {
        for (const rule of [...(state.Retry ?? []), ...(state.Catch ?? [])])
          for (const e of rule.ErrorEquals) named.add(e);
        if (state.ItemProcessor) walk(state.ItemProcessor);
      }
    };
    for (const [id] of resourcesOfType(stack.template, 'AWS::StepFunctions::StateMachine'))
      walk(definitionOf(id));
    const ours = [...named].filter((name) => !/^(Lambda|States)\./.test(name));
    // Step Functions matches Lambda's errorType, which the runtime takes from `error.name`.
    for (const name of ours)
      expect(['InputError', 'StoreError', 'SourceError', 'CollectionFailedError']).toContain(name);
    // An InputError is the same on every attempt: no retrier may match it.
    expect(named.has('States.ALL')).toBe(false);
    expect(named.has('InputError')).toBe(false);
  });
});

describe('the GitHub credential, read from Secrets Manager through the AWS SDK', () => {
  async function listWithSecret(
    value: string | undefined,
    prefix = 'CollectPullRequestsList',
  ): Promise<{ outcome: Outcome; log: string }> {
    secrets.put(SECRET_ARN, value);
    const container = coldContainer(fn(prefix));
    const outcome = await container.invoke({ period: '2026-10' });
    await container.close();
    secrets.put(SECRET_ARN, TOKEN);
    return { outcome, log: container.log };
  }

  it('was asked for by every cold start with the secret ARN of the template, signed for secretsmanager', () => {
    expect(secrets.calls.length).toBeGreaterThanOrEqual(functions.size);
    for (const call of secrets.calls) {
      expect(call).toMatchObject({
        target: 'secretsmanager.GetSecretValue',
        contentType: 'application/x-amz-json-1.1',
        secretId: SECRET_ARN,
      });
      expect(call.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=\w+\/\d{8}\/us-east-1\/secretsmanager\/aws4_request/,
      );
    }
  });

  it('accepts the bare token (as docs/deploy.md stores it) and {"token": …}', async () => {
    expect(succeeded((await listWithSecret(`${TOKEN}\n`)).outcome)).toEqual({
      repositories: ['acme/infra', 'acme/payments-api', 'acme/web-app'],
    });
    expect(
      succeeded((await listWithSecret(JSON.stringify({ token: TOKEN }))).outcome).repositories,
    ).toHaveLength(3);
  });

  it('signs in as a GitHub App with {"appId", "privateKey", "installationId"}', async () => {
    const key = selfSignedCertificate(mkdtempSync(join(work, 'app-'))).key;
    const before = emulator.requestLog.length;
    const { outcome } = await listWithSecret(
      JSON.stringify({ appId: 4242, privateKey: key, installationId: 77 }),
    );
    // The emulator knows no App: the App's signed JWT asks GitHub for an installation token and
    // is refused there, which the function reports by name.
    const paths = emulator.requestLog.slice(before).map((r) => `${r.method} ${r.path} ${r.status}`);
    expect(paths[0]).toBe('POST /api/v3/app/installations/77/access_tokens 401');
    expect(outcome).toMatchObject({ errorType: 'GitHubAuthError' });
  });

  it.each([
    ['is not valid JSON', `{"token": "${TOKEN}"`, /^GitHub secret: starts like JSON but is not valid JSON/],
    ['is a token with a space', `${TOKEN} ${TOKEN}`, /^GitHub secret: a bare token has no spaces/],
    ['holds an App without its key', JSON.stringify({ appId: 1, installationId: 2 }), /"privateKey" missing/],
    ['has no value yet', undefined, /^GitHub secret: arn:aws:secretsmanager:.* has no value yet/],
  ])('that %s stops the function with an InputError that never repeats it', async (_, value, message) => {
    const { outcome, log } = await listWithSecret(value);
    expect(outcome).toMatchObject({ errorType: 'InputError', errorMessage: expect.stringMatching(message) });
    expect(JSON.stringify(outcome)).not.toContain(TOKEN.slice(12));
    expect(log).toContain('"errorType":"InputError"');
    expect(log).not.toContain(TOKEN.slice(12));
  });

  it('that GitHub refuses fails a collector with GitHubAuthError before anything is written', async () => {
    const before = await bucketVersions();
    const { outcome } = await listWithSecret(`ghp_${randomBytes(18).toString('hex')}`, 'CollectOverridesJob');
    expect(outcome).toMatchObject({ errorType: 'GitHubAuthError' });
    expect(await bucketVersions()).toEqual(before);
  });

  it("that the role may not read fails with CredentialReadError, naming Secrets Manager's reason", async () => {
    secrets.refuse(SECRET_ARN, 'AccessDeniedException');
    try {
      const { outcome } = await listWithSecret(TOKEN);
      expect(outcome).toMatchObject({
        errorType: 'CredentialReadError',
        errorMessage: expect.stringMatching(
          /^cannot read the GitHub secret arn:aws:secretsmanager:.*AccessDeniedException/,
        ),
      });
    } finally {
      secrets.refuse(SECRET_ARN, undefined);
    }
  });

  it('never reaches a log line or a result of any function', async () => {
    await Promise.all([...warm.values()].map((c) => c.close()));
    const logs = containers.map((c) => c.log).join('\n');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(TOKEN.slice(12));
  });
});
