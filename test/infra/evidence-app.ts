import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type DeploymentConfig, parseDeploymentContext } from '../../lib/config.ts';
import { EvidenceStack, type JobDefinition } from '../../lib/evidence-stack.ts';
import { spawnCollecting } from '../cli/run-cli.ts';

export const FIXTURE_JOB = 'test/infra/fixtures/job-handler.ts';
export const FIXTURE_LIST_REPOSITORIES = 'test/infra/fixtures/list-repositories-handler.ts';

/** One job of every kind of access, plus a per-repository fan-out. */
export const FIXTURE_JOBS: readonly JobDefinition[] = [
  { name: 'collect-pull-requests', entry: FIXTURE_JOB, schedule: 'cron(15 2 * * ? *)', access: 'collect' },
  {
    name: 'build-pack',
    entry: FIXTURE_JOB,
    schedule: 'cron(0 6 1 * ? *)',
    access: 'build-pack',
    memorySize: 2048,
    input: { trigger: 'monthly' },
  },
  { name: 'report-status', entry: FIXTURE_JOB, schedule: 'rate(1 day)', access: 'read-only' },
  {
    name: 'collect-deployments',
    entry: FIXTURE_JOB,
    listRepositoriesEntry: FIXTURE_LIST_REPOSITORIES,
    schedule: 'cron(30 2 * * ? *)',
    access: 'collect',
    maxConcurrency: 3,
  },
];

export function configFrom(context: Readonly<Record<string, unknown>>): DeploymentConfig {
  return parseDeploymentContext((key) => ({ 'cm01:stage': 'test', 'cm01:org': 'acme', ...context })[key]);
}

export interface SynthesizedEvidenceApp {
  readonly stack: EvidenceStack;
  readonly template: Template;
  /** The raw template, for walking every resource. */
  readonly resources: Readonly<Record<string, CfnResourceJson>>;
  readonly assembly: CloudAssembly;
  readonly validationReport: ValidationReport;
  /** Remove the cloud assembly (templates and bundled assets) from the temporary directory. */
  dispose(): void;
}

export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Metadata?: Record<string, unknown>;
}

export interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly violations: readonly {
      readonly ruleName: string;
      readonly severity: string;
      readonly description: string;
    }[];
  }[];
}

/**
 * Synthesise the evidence stack once, with cdk-nag's AwsSolutions pack as a validation
 * plugin, like `bin/app.ts` does. Synthesis throws when nag reports an error.
 */
export function synthesizeEvidenceApp(
  options: {
    readonly context?: Readonly<Record<string, unknown>>;
    readonly jobs?: readonly JobDefinition[];
  } = {},
): SynthesizedEvidenceApp {
  const outdir = mkdtempSync(join(tmpdir(), 'cm01-infra-'));
  const app = new App({ outdir });
  const stack = new EvidenceStack(app, 'Cm01Evidence-test', {
    config: configFrom(options.context ?? {}),
    jobs: options.jobs ?? FIXTURE_JOBS,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  const templateJson = assembly.getStackByName(stack.stackName).template as {
    Resources: Record<string, CfnResourceJson>;
  };
  const validationReport = JSON.parse(
    readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'),
  ) as ValidationReport;
  return {
    stack,
    template: Template.fromJSON(templateJson),
    resources: templateJson.Resources,
    assembly,
    validationReport,
    dispose: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/** A cloud assembly synthesised in another process: its stack's resources and nag's report. */
export interface SynthesizedAssembly {
  readonly directory: string;
  readonly resources: Readonly<Record<string, CfnResourceJson>>;
  readonly validationReport: ValidationReport;
  dispose(): void;
}

/**
 * The stack with every standard job, synthesised exactly as `synthesizeEvidenceApp` does but in
 * a child process. Synthesis bundles each real handler synchronously — a minute or more on a busy
 * machine — and a test worker that blocks that long stops answering the test runner.
 */
export async function synthesizeStandardAppInChild(): Promise<SynthesizedAssembly> {
  const script = fileURLToPath(new URL('./synthesize-standard-app.ts', import.meta.url));
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const child = await spawnCollecting(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    timeout: 600_000,
  });
  if (child.status !== 0) {
    throw new Error(`synthesis ended with ${child.signal ?? `status ${child.status}`}:\n${child.stderr}`);
  }
  const printed = child.stdout;
  const { directory, stackName } = JSON.parse(printed.trim().split('\n').at(-1) as string) as {
    directory: string;
    stackName: string;
  };
  const templateJson = new CloudAssembly(directory).getStackByName(stackName).template as {
    Resources: Record<string, CfnResourceJson>;
  };
  return {
    directory,
    resources: templateJson.Resources,
    validationReport: JSON.parse(readFileSync(join(directory, 'validation-report.json'), 'utf8')),
    dispose: () => rmSync(directory, { recursive: true, force: true }),
  };
}

export function resourcesOfType(
  resources: Readonly<Record<string, CfnResourceJson>>,
  type: string,
): [string, CfnResourceJson][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}
