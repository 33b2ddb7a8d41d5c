import { CfnOutput, Duration, Lazy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { DEFAULT_SETTLE, formatSettleTime, type SettleTime } from '../lambdas/core/settle.ts';
import { FUNCTION_ENVIRONMENT } from '../lambdas/runtime/config.ts';
import type { DeploymentConfig } from './config.ts';
import { AuditorAccess } from './constructs/auditor-access.ts';
import { EvidenceFunction } from './constructs/evidence-function.ts';
import { EVIDENCE_PREFIX, EvidenceStorage, PACKS_PREFIX } from './constructs/evidence-storage.ts';
import { GitHubCredential } from './constructs/github-credential.ts';
import { PackSigningKey } from './constructs/pack-signing-key.ts';
import { RepositoryFanOut } from './constructs/repository-fan-out.ts';
import { ScheduledJob } from './constructs/scheduled-job.ts';
import { SourceCredentials } from './constructs/source-credentials.ts';

/**
 * What a job may touch:
 * - `collect`: read GitHub (the credential), write evidence under `evidence/`, read and write the index;
 * - `build-pack`: read GitHub (it re-collects the month first, so late data is in), read all
 *   evidence, write under `packs/` and `evidence/`, read and write the index;
 * - `read-only`: read evidence, packs and the index; write nothing.
 */
export type JobAccess = 'collect' | 'build-pack' | 'read-only';

export interface JobDefinition {
  /** Unique, kebab-case, e.g. `collect-pull-requests`; names the constructs. */
  readonly name: string;
  /** Handler file relative to the repository root, e.g. `lambdas/collect-pull-requests/handler.ts`. */
  readonly entry: string;
  /** EventBridge schedule expression (UTC), e.g. `cron(30 2 * * ? *)`. */
  readonly schedule: string;
  /**
   * The monthly pack: run once a month at the stack's `packSettleTime` instead of `schedule`, so
   * that changes merged late in the month have their deployments (controls.md "Deployments at
   * the edges").
   * @default false
   */
  readonly runsAtSettleTime?: boolean;
  readonly access: JobAccess;
  /**
   * Fixed event of scheduled runs.
   * @default {}
   */
  readonly input?: Readonly<Record<string, unknown>>;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 300 (900 for `build-pack`) */
  readonly timeoutSeconds?: number;
  /**
   * When set, the job fans out per repository: this handler returns `{ repositories: [...] }`
   * and `entry` is called once per repository with `{ repo, input }`.
   * @default - one invocation does the whole organisation
   */
  readonly listRepositoriesEntry?: string;
  /**
   * Files copied into the job's bundle (see `EvidenceFunctionProps.copyIntoBundle`).
   * @default - none
   */
  readonly copyIntoBundle?: readonly { readonly from: string; readonly to: string }[];
  /**
   * Concurrent repositories of a fan-out job.
   * @default 4
   */
  readonly maxConcurrency?: number;
}

export interface EvidenceStackProps extends StackProps {
  readonly config: DeploymentConfig;
  /**
   * The scheduled jobs to deploy.
   * @default - none: storage, auditor role and credential only
   */
  readonly jobs?: readonly JobDefinition[];
  /**
   * When the monthly pack is built for the month before: the day of the month and the hour (UTC)
   * after which late deployments of the month are in. Jobs with `runsAtSettleTime` run then.
   * @default - the 3rd, 06:00 UTC (`DEFAULT_SETTLE`)
   */
  readonly packSettleTime?: SettleTime;
  /**
   * Overrides `config.auditorPrincipal` with a principal object.
   * @default - from config, else the deploying account
   */
  readonly auditorPrincipal?: iam.IPrincipal;
}

/**
 * Environment variable names a job that talks to GitHub receives (a read-only job gets the
 * first three). The names are the runtime's own (lambdas/runtime/config.ts), which reads each.
 */
export const JOB_ENVIRONMENT_KEYS = [
  FUNCTION_ENVIRONMENT.bucket,
  FUNCTION_ENVIRONMENT.table,
  FUNCTION_ENVIRONMENT.org,
  FUNCTION_ENVIRONMENT.githubSecretArn,
  FUNCTION_ENVIRONMENT.githubApiUrl,
] as const;

/**
 * The CM-01 evidence stack: the Object-Locked store and its index, the GitHub credential, the
 * auditor role, an alarm topic, and one scheduled job (or per-repository fan-out) per job
 * definition.
 */
/** `cron(0 <hour> <day> * ? *)`: monthly at the settle time; refuses a day some month lacks. */
export function settleScheduleExpression(settle: SettleTime): string {
  if (!Number.isInteger(settle.dayOfMonth) || settle.dayOfMonth < 1 || settle.dayOfMonth > 28) {
    throw new Error(
      `packSettleTime.dayOfMonth must be a whole day from 1 to 28 (every month has it), got ${settle.dayOfMonth}`,
    );
  }
  if (!Number.isInteger(settle.hourUtc) || settle.hourUtc < 0 || settle.hourUtc > 23) {
    throw new Error(`packSettleTime.hourUtc must be a whole hour from 0 to 23, got ${settle.hourUtc}`);
  }
  return `cron(0 ${settle.hourUtc} ${settle.dayOfMonth} * ? *)`;
}

export class EvidenceStack extends Stack {
  readonly storage: EvidenceStorage;
  readonly auditor: AuditorAccess;
  readonly githubCredential: GitHubCredential;
  /** Linear and Better Stack credentials, where the deployment names them. */
  readonly sourceCredentials: SourceCredentials;
  readonly alarmTopic: sns.Topic;
  readonly jobs: ReadonlyMap<string, ScheduledJob | RepositoryFanOut>;
  /** Signs pack seals; made with the first `build-pack` job, whose role alone may sign. */
  packSigningKey: PackSigningKey | undefined;
  /** When the monthly pack runs, and the moment up to which it reads a month's deployments. */
  readonly packSettle: SettleTime;

  constructor(scope: Construct, id: string, props: EvidenceStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.storage = new EvidenceStorage(this, 'EvidenceStorage', {
      objectLockMode: config.objectLockMode,
      retentionDays: config.retentionDays,
      nonProduction: config.nonProduction,
    });
    this.githubCredential = new GitHubCredential(this, 'GitHubCredential', {
      existingSecretArn: config.githubSecretArn,
    });
    this.sourceCredentials = new SourceCredentials(this, 'SourceCredentials', {
      ...(config.linearSecretArn ? { linearSecretArn: config.linearSecretArn } : {}),
      ...(config.betterStackSecretArn ? { betterStackSecretArn: config.betterStackSecretArn } : {}),
    });
    this.auditor = new AuditorAccess(this, 'Auditor', {
      storage: this.storage,
      assumedBy: props.auditorPrincipal ?? auditorPrincipalFrom(config.auditorPrincipal),
    });
    this.alarmTopic = this.createAlarmTopic(config.alarmEmail);

    // Lock mode and retention are not passed: writers read them from the bucket itself.
    const storeEnvironment = {
      [FUNCTION_ENVIRONMENT.bucket]: this.storage.bucket.bucketName,
      [FUNCTION_ENVIRONMENT.table]: this.storage.table.tableName,
      [FUNCTION_ENVIRONMENT.org]: config.org,
    };
    const environment: Record<(typeof JOB_ENVIRONMENT_KEYS)[number], string> & Record<string, string> = {
      ...storeEnvironment,
      [FUNCTION_ENVIRONMENT.githubSecretArn]: this.githubCredential.secret.secretArn,
      [FUNCTION_ENVIRONMENT.githubApiUrl]: config.githubApiUrl,
      // Where the Linear / Better Stack secrets are, only for the sources configured.
      ...this.sourceCredentials.environment,
    };

    this.packSettle = props.packSettleTime ?? DEFAULT_SETTLE;
    const settleCron = settleScheduleExpression(this.packSettle);
    const jobs = new Map<string, ScheduledJob | RepositoryFanOut>();
    for (const job of props.jobs ?? []) {
      const definition = job.runsAtSettleTime ? { ...job, schedule: settleCron } : job;
      if (!/^[a-z][a-z0-9-]*$/.test(definition.name)) {
        throw new Error(`job name "${definition.name}" must be kebab-case`);
      }
      if (jobs.has(definition.name)) throw new Error(`job "${definition.name}" is defined twice`);
      jobs.set(
        definition.name,
        this.addJob(definition, { store: storeEnvironment, github: environment }, config.logRetentionDays),
      );
    }
    this.jobs = jobs;
    if (this.packSigningKey) {
      new CfnOutput(this, 'PackSigningKeyArn', {
        value: this.packSigningKey.key.keyArn,
        description: 'KMS key that signs pack seals (kms:GetPublicKey gives the public key auditors pin)',
      });
    }

    new CfnOutput(this, 'BucketName', {
      value: this.storage.bucket.bucketName,
      description: 'Evidence bucket',
    });
    new CfnOutput(this, 'TableName', {
      value: this.storage.table.tableName,
      description: 'Evidence index table',
    });
    new CfnOutput(this, 'AuditorRoleArn', {
      value: this.auditor.role.roleArn,
      description: 'Role auditors assume',
    });
    new CfnOutput(this, 'GitHubSecretArn', {
      value: this.githubCredential.secret.secretArn,
      description: 'Put the GitHub token or App key here',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.alarmTopic.topicArn,
      description: 'Job failure alarms',
    });
  }

  private createAlarmTopic(email: string | undefined): sns.Topic {
    // CloudWatch alarms publish to an encrypted topic only if the key lets CloudWatch use it.
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts CM-01 job failure notifications',
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
      }),
    );
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'CM-01 evidence job failures',
      masterKey: key,
      enforceSSL: true,
    });
    if (email) topic.addSubscription(new subscriptions.EmailSubscription(email));
    return topic;
  }

  private addJob(
    definition: JobDefinition,
    environments: {
      /** For functions that only touch the store. */
      readonly store: Readonly<Record<string, string>>;
      /** For functions that talk to GitHub: the store's and the credential's location and the API URL. */
      readonly github: Readonly<Record<string, string>>;
    },
    logRetentionDays: number,
  ): ScheduledJob | RepositoryFanOut {
    const id = pascalCase(definition.name);
    let environment = definition.access === 'read-only' ? environments.store : environments.github;
    const timeout = Duration.seconds(
      definition.timeoutSeconds ?? (definition.access === 'build-pack' ? 900 : 300),
    );
    const logRetention = toRetentionDays(logRetentionDays);
    const grant = (job: EvidenceFunction): void => this.grantJobAccess(job, definition.access);
    if (definition.access === 'build-pack') {
      // The pack job signs its seals with the stack's KMS key (created in grantJobAccess).
      environment = {
        ...environment,
        [FUNCTION_ENVIRONMENT.signingKey]: Lazy.string({
          produce: () => `kms:${this.packSigningKey?.key.keyArn}`,
        }),
        // The pack judges deployments up to the moment its schedule runs it.
        [FUNCTION_ENVIRONMENT.packSettleTime]: formatSettleTime(this.packSettle),
      };
    }

    if (definition.listRepositoriesEntry === undefined) {
      return new ScheduledJob(this, id, {
        entry: definition.entry,
        schedule: definition.schedule,
        input: definition.input,
        memorySize: definition.memorySize,
        timeout,
        environment,
        logRetention,
        description: `CM-01 ${definition.name}`,
        copyIntoBundle: definition.copyIntoBundle,
        grant,
        alarmTopic: this.alarmTopic,
        // A job that reads GitHub waits for its rate-limit reset in Step Functions, never in the function.
        waitsForGitHubBudget: definition.access !== 'read-only',
      });
    }
    const list = new EvidenceFunction(this, `${id}List`, {
      entry: definition.listRepositoriesEntry,
      description: `CM-01 ${definition.name}: list repositories`,
      timeout: Duration.minutes(5),
      environment: environments.github,
      logRetention,
    });
    const collectOne = new EvidenceFunction(this, `${id}Each`, {
      entry: definition.entry,
      description: `CM-01 ${definition.name}: one repository`,
      copyIntoBundle: definition.copyIntoBundle,
      memorySize: definition.memorySize,
      timeout,
      environment,
      logRetention,
    });
    // Listing repositories needs GitHub, never write access to the store.
    this.githubCredential.grantRead(list.function);
    grant(collectOne);
    return new RepositoryFanOut(this, id, {
      listRepositories: list.function,
      collectRepository: collectOne.function,
      maxConcurrency: definition.maxConcurrency,
      schedule: definition.schedule,
      input: definition.input,
      alarmTopic: this.alarmTopic,
      logRetention,
    });
  }

  private grantJobAccess(job: EvidenceFunction, access: JobAccess): void {
    switch (access) {
      case 'collect':
        this.storage.grantWriteEvidence(job.function, { prefixes: [EVIDENCE_PREFIX] });
        this.githubCredential.grantRead(job.function);
        this.sourceCredentials.grantRead(job.function);
        return;
      case 'build-pack':
        this.storage.grantWriteEvidence(job.function, { prefixes: [EVIDENCE_PREFIX, PACKS_PREFIX] });
        this.githubCredential.grantRead(job.function);
        this.sourceCredentials.grantRead(job.function);
        if (this.packSigningKey) throw new Error('one build-pack job signs pack seals; define only one');
        if (!job.function.role) throw new Error(`${job.node.path} has no role to sign with`);
        this.packSigningKey = new PackSigningKey(this, 'PackSigningKey', {
          signer: job.function.role,
          verifier: this.auditor.role,
        });
        return;
      case 'read-only':
        this.storage.grantReadEvidence(job.function);
        return;
    }
  }
}

function auditorPrincipalFrom(text: string | undefined): iam.IPrincipal | undefined {
  if (text === undefined) return undefined;
  return /^\d{12}$/.test(text) ? new iam.AccountPrincipal(text) : new iam.ArnPrincipal(text);
}

/** CloudWatch Logs accepts only its own list of retention periods: take the nearest not shorter. */
export function toRetentionDays(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays)
    .filter((value): value is number => typeof value === 'number')
    .sort((a, b) => a - b);
  const chosen = allowed.find((value) => value >= days);
  if (chosen === undefined)
    throw new Error(`log retention of ${days} days exceeds the longest CloudWatch allows`);
  return chosen as logs.RetentionDays;
}

function pascalCase(kebab: string): string {
  return kebab
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
