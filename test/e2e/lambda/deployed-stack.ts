import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from '../../../lib/constructs/evidence-function.ts';

/**
 * What the end-to-end test of the deployed bundles needs around them: the stack synthesised by
 * the CDK command line as an operator runs it, the values CloudFormation would give its
 * references, a stand-in for Lambda's Node.js runtime, a stand-in for Secrets Manager, and an
 * interpreter for the part of the Amazon States Language the fan-out state machines use.
 */

export interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

export interface SynthesizedStack {
  /** The cloud assembly directory (`cdk.out`). */
  readonly directory: string;
  readonly stackName: string;
  readonly template: CfnTemplate;
}

/**
 * `cdk synth` of the project's app (`bin/app.ts` through `cdk.json`) with `-c` context, into
 * `outdir`. The environment holds no AWS credentials, so the command line asks no AWS service.
 * The command runs without blocking this process: synthesis bundles every function, which can
 * take longer than the test runner waits for a silent worker on a busy machine.
 */
export async function synthesizeWithCdkCli(
  outdir: string,
  context: Readonly<Record<string, string>>,
): Promise<SynthesizedStack> {
  const cdk = join(PROJECT_ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');
  const args = [cdk, 'synth', '--quiet', '--no-notices', '--output', outdir];
  for (const [key, value] of Object.entries(context)) args.push('--context', `${key}=${value}`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CDK_DISABLE_CLI_TELEMETRY: 'true' },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 300_000,
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status, signal) => {
      if (status === 0) resolve();
      else reject(new Error(`cdk synth ended with ${signal ?? `status ${status}`}:\n${stderr}`));
    });
  });
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
  if (stacks.length !== 1) throw new Error(`expected one stack in the assembly, found ${stacks.length}`);
  const [stackName, artifact] = stacks[0] as [string, { properties: { templateFile: string } }];
  const template = JSON.parse(
    readFileSync(join(outdir, artifact.properties.templateFile), 'utf8'),
  ) as CfnTemplate;
  return { directory: outdir, stackName, template };
}

export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/**
 * What `Ref` of a resource gives once deployed (a bucket's name, a table's name, a secret's
 * ARN), for the resources the functions' environment refers to; anything else is refused, so a
 * new kind of reference is noticed rather than guessed.
 */
export type PhysicalIds = Readonly<
  Record<'AWS::S3::Bucket' | 'AWS::DynamoDB::Table' | 'AWS::SecretsManager::Secret' | 'AWS::KMS::Key', string>
>;

export function resolveValue(template: CfnTemplate, value: unknown, physical: PhysicalIds): string {
  if (typeof value === 'string') return value;
  // `Fn::Join` of resolvable parts, and `Fn::GetAtt [id, Arn]` of a key (the pack job's `kms:<arn>`).
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | null)?.['Fn::Join'];
  if (join) return join[1].map((part) => resolveValue(template, part, physical)).join(join[0]);
  const getAtt = (value as { 'Fn::GetAtt'?: [string, string] } | null)?.['Fn::GetAtt'];
  if (getAtt?.[1] === 'Arn' && template.Resources[getAtt[0]]?.Type === 'AWS::KMS::Key')
    return physical['AWS::KMS::Key'];
  const ref = (value as { Ref?: string } | null)?.Ref;
  const type = ref === undefined ? undefined : template.Resources[ref]?.Type;
  if (type !== undefined && type in physical) return physical[type as keyof PhysicalIds];
  throw new Error(`cannot resolve ${JSON.stringify(value)} in a function's environment`);
}

export interface DeployedFunction {
  readonly logicalId: string;
  /** The bundle, as the asset Lambda would unpack into `/var/task`. */
  readonly taskRoot: string;
  readonly handler: string;
  readonly memorySize: number;
  readonly timeoutSeconds: number;
  /** The function's environment exactly as the template sets it, references resolved. */
  readonly environment: Readonly<Record<string, string>>;
}

export function deployedFunctions(
  stack: SynthesizedStack,
  physical: PhysicalIds,
): Map<string, DeployedFunction> {
  const functions = new Map<string, DeployedFunction>();
  for (const [logicalId, fn] of resourcesOfType(stack.template, 'AWS::Lambda::Function')) {
    const props = fn.Properties as {
      Code: { S3Key: string };
      Handler: string;
      MemorySize: number;
      Timeout: number;
      Environment: { Variables: Record<string, unknown> };
    };
    const environment: Record<string, string> = {};
    for (const [name, value] of Object.entries(props.Environment.Variables)) {
      environment[name] = resolveValue(stack.template, value, physical);
    }
    functions.set(logicalId, {
      logicalId,
      taskRoot: join(stack.directory, `asset.${props.Code.S3Key.replace(/\.zip$/, '')}`),
      handler: props.Handler,
      memorySize: props.MemorySize,
      timeoutSeconds: props.Timeout,
      environment,
    });
  }
  return functions;
}

export type Outcome =
  | { readonly result: unknown; readonly errorType?: undefined }
  | { readonly errorType: string; readonly errorMessage: string };

const RUNTIME_STAND_IN = fileURLToPath(new URL('./runtime-stand-in.mjs', import.meta.url));

/**
 * One execution environment of a function: a bare Node process whose environment is the
 * function's (from the template) plus what Lambda's runtime adds, and the endpoints of the
 * local stand-ins (`platform`). Invocations run one after another in the warm process; a new
 * container is a cold start.
 */
export class LambdaContainer {
  private readonly child: ChildProcess;
  private readonly pending: ((outcome: Outcome) => void)[] = [];
  private buffered = '';
  /** Everything the function wrote to stdout and stderr (its CloudWatch log). */
  log = '';

  constructor(
    readonly fn: DeployedFunction,
    platform: Readonly<Record<string, string>>,
  ) {
    const env: Record<string, string> = {
      // Set by Lambda in every execution environment.
      PATH: '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      LAMBDA_TASK_ROOT: fn.taskRoot,
      _HANDLER: fn.handler,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
      ...platform,
      // The function's own, last: the template decides.
      ...fn.environment,
    };
    this.child = spawn(
      process.execPath,
      // Lambda's runtime caps the heap below the function's memory.
      [
        `--max-old-space-size=${Math.floor(fn.memorySize * 0.9)}`,
        RUNTIME_STAND_IN,
        String(fn.timeoutSeconds * 1000),
      ],
      { cwd: fn.taskRoot, env, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] },
    );
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.log += chunk.toString('utf8');
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.log += chunk.toString('utf8');
    });
    (this.child.stdio[3] as Readable).on('data', (chunk: Buffer) => {
      this.buffered += chunk.toString('utf8');
      let newline = this.buffered.indexOf('\n');
      while (newline >= 0) {
        const line = this.buffered.slice(0, newline);
        this.buffered = this.buffered.slice(newline + 1);
        this.pending.shift()?.(JSON.parse(line) as Outcome);
        newline = this.buffered.indexOf('\n');
      }
    });
    this.child.on('exit', (code, signal) => {
      for (const resolve of this.pending.splice(0)) {
        resolve({
          errorType: 'Runtime.ExitError',
          errorMessage: `exited (${code ?? signal}): ${this.log.slice(-2000)}`,
        });
      }
    });
  }

  invoke(event: unknown): Promise<Outcome> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
      }, this.fn.timeoutSeconds * 1000);
      this.pending.push((outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      });
      (this.child.stdin as Writable).write(`${JSON.stringify(event)}\n`);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin?.end();
    await exited;
  }
}

/** One recorded call to the Secrets Manager stand-in. */
export interface SecretsManagerCall {
  readonly target: string | undefined;
  readonly contentType: string | undefined;
  readonly authorization: string;
  readonly secretId: string | undefined;
}

/**
 * A stand-in for Secrets Manager, which cannot run here: a loopback HTTP endpoint speaking the
 * service's JSON protocol (`POST /`, `X-Amz-Target: secretsmanager.GetSecretValue`,
 * `application/x-amz-json-1.1`) for the one call the functions make, so that the functions
 * read their credential through the AWS SDK exactly as in AWS, pointed here by the SDK's
 * standard `AWS_ENDPOINT_URL_SECRETS_MANAGER`. It does not check signatures (it records the
 * `Authorization` header for the test to look at).
 */
export class SecretsManagerStandIn {
  readonly calls: SecretsManagerCall[] = [];
  private readonly values = new Map<string, string>();
  private readonly refusals = new Map<string, string>();
  private server: Server | undefined;
  url = '';

  /** `put-secret-value`; `undefined` removes the value (GetSecretValue then fails as for a new secret). */
  put(arn: string, value: string | undefined): void {
    if (value === undefined) this.values.delete(arn);
    else this.values.set(arn, value);
  }

  /** Answer GetSecretValue on `arn` with this error (e.g. `AccessDeniedException`), or stop doing so. */
  refuse(arn: string, errorType: string | undefined): void {
    if (errorType === undefined) this.refusals.delete(arn);
    else this.refusals.set(arn, errorType);
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const target = request.headers['x-amz-target'] as string | undefined;
        let body: { SecretId?: string } = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { SecretId?: string };
        } catch {
          // Left empty: answered as a bad request below.
        }
        this.calls.push({
          target,
          contentType: request.headers['content-type'],
          authorization: request.headers.authorization ?? '',
          secretId: body.SecretId,
        });
        const reply = (status: number, payload: unknown, errorType?: string): void => {
          response.writeHead(status, {
            'content-type': 'application/x-amz-json-1.1',
            'x-amzn-requestid': `stand-in-${this.calls.length}`,
            ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
          });
          response.end(JSON.stringify(payload));
        };
        if (request.method !== 'POST' || target !== 'secretsmanager.GetSecretValue') {
          reply(
            400,
            { __type: 'UnknownOperationException', message: `not served: ${target}` },
            'UnknownOperationException',
          );
          return;
        }
        const refusal = body.SecretId === undefined ? undefined : this.refusals.get(body.SecretId);
        if (refusal !== undefined) {
          reply(400, { __type: refusal, message: `refused by the stand-in (${refusal})` }, refusal);
          return;
        }
        const value = body.SecretId === undefined ? undefined : this.values.get(body.SecretId);
        if (value === undefined) {
          reply(
            400,
            {
              __type: 'ResourceNotFoundException',
              message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
            },
            'ResourceNotFoundException',
          );
          return;
        }
        const arn = body.SecretId as string;
        reply(200, {
          ARN: arn,
          Name: arn.split(':secret:')[1]?.replace(/-[A-Za-z0-9]{6}$/, ''),
          SecretString: value,
          VersionId: '00000000-0000-4000-8000-000000000001',
          VersionStages: ['AWSCURRENT'],
          CreatedDate: Math.floor(Date.now() / 1000),
        });
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.server) resolve();
      else this.server.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }
}

/** A state machine's definition, its `Fn::Join` resolved; a function's ARN becomes `function:<logical id>`. */
export function stateMachineDefinition(resource: CfnResource): StateMachineDefinition {
  const body = (resource.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  const text = body[1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const getAtt = (part as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
      if (getAtt && getAtt[1] === 'Arn') return `function:${getAtt[0]}`;
      throw new Error(`unexpected part of a state machine definition: ${JSON.stringify(part)}`);
    })
    .join(body[0]);
  return JSON.parse(text) as StateMachineDefinition;
}

export interface StateMachineDefinition {
  readonly StartAt: string;
  readonly States: Record<string, State>;
}

interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly MaxAttempts?: number;
}

interface ChoiceRule {
  readonly Variable: string;
  readonly IsNull?: boolean;
  readonly IsPresent?: boolean;
  readonly Next: string;
}

type State = {
  readonly Type: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Choices?: readonly ChoiceRule[];
  readonly Default?: string;
  readonly TimestampPath?: string;
  readonly Parameters?: Record<string, string>;
  readonly Resource?: string;
  readonly ResultSelector?: Record<string, string>;
  readonly ResultPath?: string | null;
  readonly Retry?: readonly Retrier[];
  readonly Catch?: unknown;
  readonly ItemsPath?: string;
  readonly ItemSelector?: Record<string, string>;
  readonly ItemProcessor?: StateMachineDefinition;
};

export type Execution =
  | { readonly status: 'SUCCEEDED'; readonly output: unknown }
  | { readonly status: 'FAILED'; readonly error: string; readonly cause: string };

/** Step Functions refuses a state's result above 256 KiB (`States.DataLimitExceeded`). */
const STATE_DATA_LIMIT = 256 * 1024;

export interface InterpreterOptions {
  /**
   * A Wait state with `TimestampPath`: called with the timestamp; default sleeps until then (in
   * real time, as Step Functions would).
   */
  readonly wait?: (timestamp: string, stateName: string) => Promise<void>;
}

/**
 * Runs a definition the way Step Functions does, for the states the fan-out uses (Task with a
 * function ARN as resource, ResultSelector, ResultPath, Retry; Map with ItemsPath, ItemSelector
 * and an inline processor; Choice on IsNull/IsPresent; Wait with TimestampPath; Pass with
 * Parameters; Succeed). Anything else is refused, so a change of the construct is noticed.
 * Map items run one after another (Step Functions would run up to MaxConcurrency at once).
 */
export async function runStateMachine(
  definition: StateMachineDefinition,
  input: unknown,
  invoke: (functionLogicalId: string, payload: unknown) => Promise<Outcome>,
  context: { executionInput: unknown; mapItem?: unknown } = { executionInput: input },
  options: InterpreterOptions = {},
): Promise<Execution> {
  let data = input;
  let name: string | undefined = definition.StartAt;
  while (name !== undefined) {
    const state: State | undefined = definition.States[name];
    if (!state) throw new Error(`no state ${name}`);
    if (state.Catch !== undefined) throw new Error(`${name}: Catch is not interpreted by this test`);
    if (state.Type === 'Task') {
      const functionId = /^function:(\w+)$/.exec(state.Resource ?? '')?.[1];
      if (!functionId) throw new Error(`${name}: resource ${state.Resource} is not a function ARN`);
      let outcome = await invoke(functionId, data);
      let attempts = 1;
      while (outcome.errorType !== undefined) {
        const retrier = state.Retry?.find(
          (r) => r.ErrorEquals.includes(outcome.errorType as string) || r.ErrorEquals.includes('States.ALL'),
        );
        if (!retrier || attempts > (retrier.MaxAttempts ?? 3)) break;
        attempts++;
        outcome = await invoke(functionId, data);
      }
      if (outcome.errorType !== undefined) {
        return { status: 'FAILED', error: outcome.errorType, cause: outcome.errorMessage };
      }
      if (JSON.stringify(outcome.result).length > STATE_DATA_LIMIT) {
        return {
          status: 'FAILED',
          error: 'States.DataLimitExceeded',
          cause: `${name} returned more than 256 KiB`,
        };
      }
      const selected = state.ResultSelector
        ? select(state.ResultSelector, outcome.result, context)
        : outcome.result;
      data = placeResult(data, selected, state.ResultPath);
    } else if (state.Type === 'Map') {
      const items = readPath(state.ItemsPath ?? '$', data, context);
      if (!Array.isArray(items)) throw new Error(`${name}: ItemsPath gave no array`);
      if (!state.ItemProcessor) throw new Error(`${name}: no ItemProcessor`);
      const results: unknown[] = [];
      for (const item of items) {
        const itemContext = { executionInput: context.executionInput, mapItem: item };
        const itemInput = state.ItemSelector ? select(state.ItemSelector, data, itemContext) : item;
        const execution = await runStateMachine(state.ItemProcessor, itemInput, invoke, itemContext, options);
        if (execution.status === 'FAILED') return execution;
        results.push(execution.output);
      }
      data = placeResult(data, results, state.ResultPath);
    } else if (state.Type === 'Choice') {
      const rule: ChoiceRule | undefined = state.Choices?.find((choice) => {
        const present = isPresent(choice.Variable, data);
        if (choice.IsPresent !== undefined) return present === choice.IsPresent;
        if (choice.IsNull !== undefined) {
          if (!present) throw new Error(`${name}: ${choice.Variable} is absent (States.Runtime)`);
          return (readPath(choice.Variable, data, context) === null) === choice.IsNull;
        }
        throw new Error(`${name}: a choice rule other than IsNull/IsPresent is not interpreted by this test`);
      });
      const next: string | undefined = rule?.Next ?? state.Default;
      if (next === undefined) return { status: 'FAILED', error: 'States.NoChoiceMatched', cause: name };
      name = next;
      continue;
    } else if (state.Type === 'Wait') {
      if (state.TimestampPath === undefined)
        throw new Error(`${name}: only TimestampPath waits are interpreted`);
      const timestamp = readPath(state.TimestampPath, data, context);
      // Step Functions accepts an RFC 3339 timestamp in UTC, and fails the execution otherwise.
      if (
        typeof timestamp !== 'string' ||
        !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(timestamp)
      ) {
        return {
          status: 'FAILED',
          error: 'States.Runtime',
          cause: `${name}: ${String(timestamp)} is not a timestamp`,
        };
      }
      await (options.wait ?? sleepUntil)(timestamp, name);
    } else if (state.Type === 'Pass') {
      data = state.Parameters ? select(state.Parameters, data, context) : data;
    } else if (state.Type === 'Succeed') {
      return { status: 'SUCCEEDED', output: data };
    } else {
      throw new Error(`${name}: state type ${state.Type} is not interpreted by this test`);
    }
    name = state.End ? undefined : state.Next;
  }
  return { status: 'SUCCEEDED', output: data };
}

function select(
  selector: Record<string, string>,
  data: unknown,
  context: { executionInput: unknown; mapItem?: unknown },
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, path] of Object.entries(selector)) {
    if (!key.endsWith('.$')) throw new Error(`static selector field ${key} is not interpreted by this test`);
    out[key.slice(0, -2)] = readPath(path, data, context);
  }
  return out;
}

function readPath(
  path: string,
  data: unknown,
  context: { executionInput: unknown; mapItem?: unknown },
): unknown {
  if (path === '$$.Map.Item.Value') return context.mapItem;
  if (path === '$$.Execution.Input') return context.executionInput;
  if (!/^\$(\.\w+)*$/.test(path)) throw new Error(`path ${path} is not interpreted by this test`);
  let value = data;
  for (const segment of path.split('.').slice(1))
    value = (value as Record<string, unknown> | undefined)?.[segment];
  return value;
}

function isPresent(path: string, data: unknown): boolean {
  let value = data;
  for (const segment of path.split('.').slice(1)) {
    if (value === null || typeof value !== 'object' || !(segment in value)) return false;
    value = (value as Record<string, unknown>)[segment];
  }
  return true;
}

async function sleepUntil(timestamp: string): Promise<void> {
  const ms = Date.parse(timestamp) - Date.now();
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}

function placeResult(data: unknown, result: unknown, resultPath: string | null | undefined): unknown {
  if (resultPath === null) return data;
  if (resultPath === undefined || resultPath === '$') return result;
  const field = /^\$\.(\w+)$/.exec(resultPath)?.[1];
  if (!field) throw new Error(`ResultPath ${resultPath} is not interpreted by this test`);
  return { ...(data as Record<string, unknown>), [field]: result };
}

/** A self-signed certificate for 127.0.0.1, so the GitHub stand-in serves https as the stack requires. */
export function selfSignedCertificate(dir: string): { key: string; cert: string; certFile: string } {
  const keyFile = join(dir, 'github-key.pem');
  const certFile = join(dir, 'github-cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}
