import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { budgetWaitLoop, budgetWaitStateMachine, executionAlarms } from './budget-wait.ts';
import { EvidenceFunction, type EvidenceFunctionProps } from './evidence-function.ts';

/**
 * An EventBridge schedule expression: `cron(min hour day-of-month month day-of-week year)`
 * (six fields, one of the two day fields `?`) or `rate(N unit)`. Checked at synth so a typo
 * fails `cdk synth`, not the deployment.
 */
export function parseScheduleExpression(path: string, expression: string): events.Schedule {
  const cron = /^cron\((.+)\)$/.exec(expression.trim());
  if (cron?.[1]) {
    const fields = cron[1].trim().split(/\s+/);
    if (fields.length !== 6) {
      throw new Error(
        `${path}: schedule "${expression}" must have 6 cron fields (min hour day month weekday year)`,
      );
    }
    if (fields[2] !== '?' && fields[4] !== '?') {
      throw new Error(`${path}: schedule "${expression}" must use "?" in day-of-month or day-of-week`);
    }
    return events.Schedule.expression(`cron(${fields.join(' ')})`);
  }
  if (/^rate\(\s*\d+\s+(minute|minutes|hour|hours|day|days)\s*\)$/.test(expression.trim())) {
    return events.Schedule.expression(expression.trim());
  }
  throw new Error(`${path}: schedule "${expression}" is neither cron(…) with 6 fields nor rate(N unit)`);
}

/** Route an alarm to the topic, when there is one. */
export function alarmOn(topic: sns.ITopic | undefined, alarm: cloudwatch.Alarm): cloudwatch.Alarm {
  if (topic) alarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
  return alarm;
}

/** A dead-letter queue: TLS-only, encrypted, 14 days to look at what failed. */
export function createDeadLetterQueue(scope: Construct, id: string, usedBy: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is itself the dead-letter queue of ${usedBy}; an alarm fires on its first message.`,
  });
  return queue;
}

export interface ScheduledJobProps
  extends Pick<
    EvidenceFunctionProps,
    'entry' | 'memorySize' | 'timeout' | 'environment' | 'logRetention' | 'description' | 'copyIntoBundle'
  > {
  /** EventBridge schedule expression, e.g. `cron(30 2 * * ? *)` (UTC). */
  readonly schedule: string;
  /**
   * The fixed event every scheduled invocation receives.
   * @default {} — the handler's default window
   */
  readonly input?: Readonly<Record<string, unknown>>;
  /** Grants the function needs (store access, credential); called once with the new function. */
  readonly grant?: (job: EvidenceFunction) => void;
  /**
   * Where failure alarms notify.
   * @default - alarms without notification (visible in CloudWatch)
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * The function reads GitHub without sleeping for its rate limit: the schedule starts a state
   * machine that invokes it and, when it answers that the budget ran out, waits until the reset
   * and invokes it again with what is left (`budgetWaitLoop`, the same loop as a fan-out item's).
   * @default false — the schedule invokes the function itself
   */
  readonly waitsForGitHubBudget?: boolean;
  /**
   * Longest a run may take, budget waits included (with `waitsForGitHubBudget`).
   * @default Duration.hours(23) (done before the next night's run starts)
   */
  readonly executionTimeout?: Duration;
}

/**
 * One scheduled Lambda job: the function (through the shared wrapper, reserved concurrency 1
 * so runs never overlap), an EventBridge rule invoking it with a fixed input (or, for a job that
 * reads GitHub, starting its state machine, which waits for GitHub's rate-limit reset when the
 * function says so), a dead-letter queue for invocations that failed after retries (and events
 * EventBridge could not deliver), and alarms on function errors, failed executions and the
 * dead-letter queue.
 */
export class ScheduledJob extends Construct {
  readonly job: EvidenceFunction;
  readonly rule: events.Rule;
  /** With `waitsForGitHubBudget`: what the schedule starts. */
  readonly stateMachine?: sfn.StateMachine;
  readonly deadLetterQueue: sqs.Queue;
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: ScheduledJobProps) {
    super(scope, id);
    const schedule = parseScheduleExpression(this.node.path, props.schedule);
    this.deadLetterQueue = createDeadLetterQueue(this, 'DeadLetterQueue', `the ${id} job`);

    this.job = new EvidenceFunction(this, 'Job', {
      entry: props.entry,
      description: props.description,
      memorySize: props.memorySize,
      timeout: props.timeout,
      environment: props.environment,
      logRetention: props.logRetention,
      copyIntoBundle: props.copyIntoBundle,
      reservedConcurrentExecutions: 1,
      deadLetterQueue: this.deadLetterQueue,
    });
    props.grant?.(this.job);

    this.rule = new events.Rule(this, 'Schedule', {
      schedule,
      description: `Runs the ${id} job`,
    });
    if (props.waitsForGitHubBudget) {
      this.stateMachine = budgetWaitStateMachine(this, {
        definition: budgetWaitLoop(this, {
          fn: this.job.function,
          names: { invoke: 'RunJob', resume: 'ResumeJob', done: 'JobDone' },
          resultPath: '$.ran',
          // The execution's input again (its window and options), and what is left to read.
          resumeParameters: { 'input.$': '$$.Execution.Input', 'resume.$': '$.ran.resume' },
          resumeComment: 'The same job again, with only the repositories and kinds still to read',
        }),
        functions: [this.job.function],
        timeout: props.executionTimeout ?? Duration.hours(23),
        logRetention: props.logRetention ?? logs.RetentionDays.THIRTEEN_MONTHS,
      });
      this.rule.addTarget(
        new targets.SfnStateMachine(this.stateMachine, {
          input: events.RuleTargetInput.fromObject(props.input ?? {}),
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 2,
          maxEventAge: Duration.hours(2),
        }),
      );
    } else {
      this.rule.addTarget(
        new targets.LambdaFunction(this.job.function, {
          event: events.RuleTargetInput.fromObject(props.input ?? {}),
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 2,
          maxEventAge: Duration.hours(2),
        }),
      );
    }

    this.alarms = [
      alarmOn(
        props.alarmTopic,
        this.job.function
          .metricErrors({ period: Duration.minutes(5), statistic: 'Sum' })
          .createAlarm(this, 'Errors', {
            alarmDescription: `The ${id} job failed`,
            threshold: 1,
            evaluationPeriods: 1,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
      ),
      alarmOn(
        props.alarmTopic,
        this.deadLetterQueue
          .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' })
          .createAlarm(this, 'DeadLetters', {
            alarmDescription: `A run of the ${id} job was given up and sits in its dead-letter queue`,
            threshold: 1,
            evaluationPeriods: 1,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
      ),
      ...(this.stateMachine
        ? executionAlarms(
            this,
            this.stateMachine,
            props.alarmTopic,
            (what) => `A run of the ${id} job ${what}`,
          )
        : []),
    ];
  }
}
