import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { budgetWaitLoop, budgetWaitStateMachine, executionAlarms } from './budget-wait.ts';
import { alarmOn, createDeadLetterQueue, parseScheduleExpression } from './scheduled-job.ts';

export interface RepositoryFanOutProps {
  /**
   * Returns `{ "repositories": ["org/name", …] }` for the execution input it is given.
   */
  readonly listRepositories: lambda.IFunction;
  /**
   * Called once per repository with `{ "repo": "org/name", "input": <execution input> }`.
   */
  readonly collectRepository: lambda.IFunction;
  /**
   * Repositories collected at the same time; bounded so GitHub's secondary rate limits
   * (concurrent requests, points per minute) are not hit.
   * @default 4
   */
  readonly maxConcurrency?: number;
  /**
   * Longest a whole run may take, budget waits included: a first collection that needs several
   * hours of GitHub's rate limit waits for several resets.
   * @default Duration.hours(23) (done before the next night's run starts)
   */
  readonly executionTimeout?: Duration;
  /**
   * When set, an EventBridge rule starts the fan-out on this schedule expression.
   * @default - started on demand only
   */
  readonly schedule?: string;
  /**
   * The fixed execution input of scheduled runs.
   * @default {}
   */
  readonly input?: Readonly<Record<string, unknown>>;
  /**
   * Where failure alarms notify.
   * @default - alarms without notification
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Retention of the state machine's execution log.
   * @default logs.RetentionDays.THIRTEEN_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Fans collection out per repository on Step Functions (no home-made scheduler): one task
 * lists the repositories, a Map state collects each with bounded concurrency and retries on
 * Lambda's transient errors. An item whose GitHub budget ran out waits for the reset in a Wait
 * state and resumes. One repository failing fails the run, which an alarm reports.
 */
export class RepositoryFanOut extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly rule?: events.Rule;
  readonly deadLetterQueue?: sqs.Queue;
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: RepositoryFanOutProps) {
    super(scope, id);
    const maxConcurrency = props.maxConcurrency ?? 4;
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > 40) {
      throw new Error(`${this.node.path}: maxConcurrency must be 1–40, got ${maxConcurrency}`);
    }
    const schedule =
      props.schedule === undefined ? undefined : parseScheduleExpression(this.node.path, props.schedule);

    const listRepositories = new tasks.LambdaInvoke(this, 'ListRepositories', {
      lambdaFunction: props.listRepositories,
      payloadResponseOnly: true,
      resultSelector: { 'repositories.$': '$.repositories' },
      resultPath: '$.listed',
    });
    // The item's result says whether GitHub's rate-limit budget ran out before the repository was
    // read: then `resumeAt` is the reset (from `x-ratelimit-reset`) and `resume` the kinds left.
    const eachRepository = new sfn.Map(this, 'EachRepository', {
      itemsPath: '$.listed.repositories',
      maxConcurrency,
      itemSelector: {
        'repo.$': '$$.Map.Item.Value',
        'input.$': '$$.Execution.Input',
      },
      resultPath: sfn.JsonPath.DISCARD,
    });
    eachRepository.itemProcessor(
      budgetWaitLoop(this, {
        fn: props.collectRepository,
        names: { invoke: 'CollectRepository', resume: 'ResumeRepository', done: 'RepositoryCollected' },
        resultPath: '$.collected',
        resumeParameters: { 'repo.$': '$.repo', 'input.$': '$.input', 'resume.$': '$.collected.resume' },
        resumeComment: 'The same repository again, with only the kinds still to read',
      }),
    );

    this.stateMachine = budgetWaitStateMachine(this, {
      definition: listRepositories.next(eachRepository),
      functions: [props.listRepositories, props.collectRepository],
      timeout: props.executionTimeout ?? Duration.hours(23),
      logRetention: props.logRetention ?? logs.RetentionDays.THIRTEEN_MONTHS,
    });

    const alarms: cloudwatch.Alarm[] = executionAlarms(
      this,
      this.stateMachine,
      props.alarmTopic,
      (what) => `A per-repository run of ${id} ${what}`,
    );

    if (schedule) {
      this.deadLetterQueue = createDeadLetterQueue(this, 'DeadLetterQueue', `the ${id} schedule`);
      this.rule = new events.Rule(this, 'Schedule', { schedule, description: `Starts the ${id} fan-out` });
      this.rule.addTarget(
        new targets.SfnStateMachine(this.stateMachine, {
          input: events.RuleTargetInput.fromObject(props.input ?? {}),
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 2,
        }),
      );
      alarms.push(
        alarmOn(
          props.alarmTopic,
          this.deadLetterQueue
            .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' })
            .createAlarm(this, 'DeadLetters', {
              alarmDescription: `A scheduled start of ${id} could not be delivered`,
              threshold: 1,
              evaluationPeriods: 1,
              comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
              treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
            }),
        ),
      );
    }
    this.alarms = alarms;
  }
}
