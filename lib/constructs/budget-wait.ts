import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { alarmOn } from './scheduled-job.ts';

/**
 * The one wait-and-resume loop of every state machine whose function reads GitHub (a fan-out
 * item, a single-function job): invoke the function; when its answer says GitHub's rate-limit
 * budget ran out (`resumeAt`, the reset from `x-ratelimit-reset`, and `resume`, what is left),
 * wait in a Wait state until then and invoke it again with only what is left. The function
 * never sleeps for the reset and bounds the loop itself (24 waits; an attempt that started on a
 * full budget and still finished nothing fails; any other failure fails at once).
 *
 * The states are made in the caller's scope, under the caller's names, so that a state machine
 * keeps its state names and logical ids.
 */
export interface BudgetWaitLoopProps {
  /** The function; it answers `{ resumeAt: <timestamp> | null, resume: <what is left> | null, … }`. */
  readonly fn: lambda.IFunction;
  /** Names of the states: the invocation, the resume step, the end. */
  readonly names: { readonly invoke: string; readonly resume: string; readonly done: string };
  /** Where the answer's `resumeAt` and `resume` are kept in the state, e.g. `$.collected`. */
  readonly resultPath: string;
  /**
   * The resume step's output, the next invocation's whole event: only the first event's own
   * fields and `<resultPath>.resume`, never the function's last answer.
   */
  readonly resumeParameters: Readonly<Record<string, string>>;
  readonly resumeComment: string;
}

export function budgetWaitLoop(scope: Construct, props: BudgetWaitLoopProps): sfn.IChainable {
  const invoke = new tasks.LambdaInvoke(scope, props.names.invoke, {
    lambdaFunction: props.fn,
    payloadResponseOnly: true,
    resultSelector: { 'resumeAt.$': '$.resumeAt', 'resume.$': '$.resume' },
    resultPath: props.resultPath,
    retryOnServiceExceptions: true,
  });
  invoke.addRetry({
    errors: ['Lambda.TooManyRequestsException'],
    interval: Duration.seconds(30),
    maxAttempts: 4,
    backoffRate: 2,
  });
  // Waiting for the reset is Step Functions' job, not the function's: a Wait state until the
  // reset, then the same work again from where it stopped (what is left; within a kind, the
  // collector's cursor in the index). The function bounds the number of waits (24).
  const waitForReset = new sfn.Wait(scope, 'WaitForRateLimitReset', {
    time: sfn.WaitTime.timestampPath(`${props.resultPath}.resumeAt`),
    comment: 'GitHub rate-limit budget ran out: wait until x-ratelimit-reset',
  });
  const resume = new sfn.Pass(scope, props.names.resume, {
    parameters: { ...props.resumeParameters },
    comment: props.resumeComment,
  });
  const budgetOutcome = new sfn.Choice(scope, 'BudgetRanOut')
    .when(sfn.Condition.isNotNull(`${props.resultPath}.resumeAt`), waitForReset.next(resume).next(invoke))
    .otherwise(new sfn.Succeed(scope, props.names.done));
  return invoke.next(budgetOutcome);
}

export interface BudgetWaitStateMachineProps {
  readonly definition: sfn.IChainable;
  /** The functions the machine invokes (and nothing else). */
  readonly functions: readonly lambda.IFunction[];
  readonly timeout: Duration;
  readonly logRetention: logs.RetentionDays;
}

/** The state machine around a loop: its execution log, X-Ray, a timeout long enough for several resets. */
export function budgetWaitStateMachine(
  scope: Construct,
  props: BudgetWaitStateMachineProps,
): sfn.StateMachine {
  const logGroup = new logs.LogGroup(scope, 'ExecutionLog', {
    retention: props.logRetention,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const stateMachine = new sfn.StateMachine(scope, 'StateMachine', {
    definitionBody: sfn.DefinitionBody.fromChainable(props.definition),
    timeout: props.timeout,
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
  });
  // Acknowledge on the role's subtree: CDK's generated grants for invoking the functions
  // (`<arn>:*` for their versions) and for log delivery (Resource "*").
  for (const fn of props.functions) {
    const functionResource = fn.node.defaultChild as lambda.CfnFunction | undefined;
    if (!functionResource) continue;
    Validations.of(stateMachine.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${functionResource.stack.getLogicalId(functionResource)}.Arn>:*]`,
      reason: 'Invoking any published version of this one function; CDK grants `<function arn>:*` for that.',
    });
  }
  Validations.of(stateMachine.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'CloudWatch Logs log delivery (logs:CreateLogDelivery, …) and X-Ray tracing support no resource-level permissions.',
  });
  return stateMachine;
}

/** Alarms on executions that failed, timed out or were aborted; `describe` words each. */
export function executionAlarms(
  scope: Construct,
  stateMachine: sfn.StateMachine,
  topic: sns.ITopic | undefined,
  describe: (what: string) => string,
): cloudwatch.Alarm[] {
  return (
    [
      ['ExecutionsFailed', 'failed'],
      ['ExecutionsTimedOut', 'timed out'],
      ['ExecutionsAborted', 'was aborted'],
    ] as const
  ).map(([metricName, what]) =>
    alarmOn(
      topic,
      stateMachine
        .metric(metricName, { period: Duration.minutes(5), statistic: 'Sum' })
        .createAlarm(scope, metricName, {
          alarmDescription: describe(what),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
    ),
  );
}
