import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Root of the repository: entries and the lock file are resolved from here, not from the working directory. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The runtime every function is pinned to. Node.js 20 reached end of life on AWS Lambda in
 * April 2026; 22 is the newest line the code is exercised against.
 */
export const EVIDENCE_RUNTIME = lambda.Runtime.NODEJS_22_X;

/** Smallest accepted log retention: one audit period. */
export const MINIMUM_LOG_RETENTION_DAYS = 365;

export interface EvidenceFunctionProps {
  /** Handler source file, absolute or relative to the repository root (e.g. `lambdas/build-pack/handler.ts`). */
  readonly entry: string;
  /**
   * Exported handler function name.
   * @default 'handler'
   */
  readonly handler?: string;
  /**
   * Shown in the Lambda console.
   * @default - none
   */
  readonly description?: string;
  /**
   * Memory in MiB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Maximum run time of one invocation.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /**
   * Environment variables. Never a secret value: pass a secret's ARN and grant read access.
   * @default - only NODE_OPTIONS
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Retention of the function's log group; at least one year so a whole audit period of run
   * logs survives.
   * @default logs.RetentionDays.THIRTEEN_MONTHS (400 days)
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Reserved concurrency, e.g. 1 for a job that must never run twice at once.
   * @default - unreserved
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Queue that receives asynchronous invocations that failed after Lambda's retries.
   * @default - none
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * Files or folders (relative to the repository root) copied into the bundle, for code that
   * reads data beside itself at run time — e.g. `{ from: 'node_modules/pdfkit/js/data', to: 'data' }`
   * for pdfkit's font metrics, or a TTF font the renderer embeds.
   * @default - none
   */
  readonly copyIntoBundle?: readonly { readonly from: string; readonly to: string }[];
  /**
   * Retries of a failed asynchronous invocation (0–2).
   * @default 2
   */
  readonly retryAttempts?: number;
}

/**
 * The one wrapper every Lambda of the evidence collector is built with, so that runtime,
 * architecture, bundling, logging and tracing are decided once: Node.js 22 on ARM64, an ESM
 * bundle made by the locally installed esbuild (no Docker) with the AWS SDK bundled in (its
 * version is then the one the tests ran), minified (class names kept) with source maps, X-Ray tracing, and a
 * retained log group the function's own role may write to — no AWS managed policy.
 */
export class EvidenceFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: EvidenceFunctionProps) {
    super(scope, id);
    const logRetention = props.logRetention ?? logs.RetentionDays.THIRTEEN_MONTHS;
    // INFINITE is 9999 here; anything shorter than a year loses run logs an auditor may ask for.
    if (logRetention < MINIMUM_LOG_RETENTION_DAYS) {
      throw new Error(
        `${this.node.path}: log retention of ${logRetention} days is shorter than ${MINIMUM_LOG_RETENTION_DAYS} days`,
      );
    }
    if (props.memorySize !== undefined && (props.memorySize < 128 || props.memorySize > 10_240)) {
      throw new Error(`${this.node.path}: memorySize ${props.memorySize} MiB is outside 128–10240`);
    }

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Checks the paths now, so a bad one fails at construction rather than inside bundling.
    copyCommands(PROJECT_ROOT, PROJECT_ROOT, props.copyIntoBundle ?? []);
    const entry = isAbsolute(props.entry) ? props.entry : resolve(PROJECT_ROOT, props.entry);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      // Relative, so no build machine's path ends up in the template.
      description: `Runs ${relative(PROJECT_ROOT, entry)}`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.function = new NodejsFunction(this, 'Function', {
      entry,
      handler: props.handler ?? 'handler',
      description: props.description,
      runtime: EVIDENCE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.minutes(5),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: props.retryAttempts ?? 2,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: resolve(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        ...props.environment,
        // esbuild's source maps are only used by Node when asked to.
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        // Minifying renames classes; an error's name is what the log line, the alarm and a
        // Step Functions retry match on, so class and function names are kept.
        keepNames: true,
        sourceMap: true,
        // Bundle everything, the AWS SDK included: the deployed code is then exactly what was tested.
        externalModules: [],
        mainFields: ['module', 'main'],
        // CommonJS dependencies inside an ESM bundle still call require() for Node built-ins and
        // read files relative to __dirname, neither of which ESM defines.
        banner: [
          "import { createRequire as cm01CreateRequire } from 'node:module';",
          "import { fileURLToPath as cm01FileURLToPath } from 'node:url';",
          "import { dirname as cm01Dirname } from 'node:path';",
          'const require = cm01CreateRequire(import.meta.url);',
          'const __filename = cm01FileURLToPath(import.meta.url);',
          'const __dirname = cm01Dirname(__filename);',
        ].join(''),
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) =>
            copyCommands(inputDir, outputDir, props.copyIntoBundle ?? []),
        },
        forceDockerBundling: false,
      },
    });

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'The runtime is pinned to Node.js 22 on purpose: the code is tested on Node 20/22, and a newer runtime is adopted deliberately, not by a silent upgrade.',
    });
    // Covers the role's default policy too (acknowledgements apply to a construct's subtree).
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; this is the only statement with Resource "*".',
    });
  }
}

function copyCommands(
  inputDir: string,
  outputDir: string,
  copies: readonly { readonly from: string; readonly to: string }[],
): string[] {
  return copies.map(({ from, to }) => {
    if (isAbsolute(from) || isAbsolute(to) || from.includes('..') || to.includes('..')) {
      throw new Error(`copyIntoBundle paths must be relative and inside the repository: ${from} -> ${to}`);
    }
    const target = join(outputDir, to);
    return `mkdir -p "${dirname(target)}" && cp -R "${join(inputDir, from)}" "${target}"`;
  });
}
