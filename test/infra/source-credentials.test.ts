import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  BETTER_STACK_SECRET_ENV as RUNTIME_BETTER_STACK_ENV,
  LINEAR_SECRET_ENV as RUNTIME_LINEAR_ENV,
} from '../../lambdas/runtime/enrichment-sources.ts';
import { parseDeploymentContext } from '../../lib/config.ts';
import {
  BETTER_STACK_SECRET_ENV,
  LINEAR_SECRET_ENV,
  SourceCredentials,
} from '../../lib/constructs/source-credentials.ts';

const LINEAR_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cm01/linear-AbCdEf';
const BETTER_STACK_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cm01/better-stack-GhIjKl';

function withFunction(props: ConstructorParameters<typeof SourceCredentials>[2]) {
  const stack = new Stack(new App(), 'Test');
  const credentials = new SourceCredentials(stack, 'SourceCredentials', props);
  const fn = new lambda.Function(stack, 'Job', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {};'),
    environment: { ...credentials.environment },
  });
  credentials.grantRead(fn);
  return { credentials, template: Template.fromStack(stack) };
}

describe('Linear and Better Stack credentials in the stack', () => {
  it('reads each secret ARN from the CDK context, refusing one that is not a complete ARN by its key', () => {
    const parse = (context: Record<string, unknown>) =>
      parseDeploymentContext((key) => ({ 'cm01:stage': 'p', 'cm01:org': 'acme', ...context })[key]);
    const config = parse({
      'cm01:linearSecretArn': LINEAR_ARN,
      'cm01:betterStackSecretArn': BETTER_STACK_ARN,
    });
    expect(config).toMatchObject({ linearSecretArn: LINEAR_ARN, betterStackSecretArn: BETTER_STACK_ARN });
    expect(parse({}).linearSecretArn).toBeUndefined();
    expect(() => parse({ 'cm01:linearSecretArn': 'lin_api_plaintext' })).toThrow(/cm01:linearSecretArn/);
  });

  it('gives functions the ARNs (never the values) and GetSecretValue on those two secrets only', () => {
    const { credentials, template } = withFunction({
      linearSecretArn: LINEAR_ARN,
      betterStackSecretArn: BETTER_STACK_ARN,
    });
    expect(credentials.environment).toEqual({
      [LINEAR_SECRET_ENV]: LINEAR_ARN,
      [BETTER_STACK_SECRET_ENV]: BETTER_STACK_ARN,
    });
    // The names the runtime reads are the names the stack sets.
    expect([LINEAR_SECRET_ENV, BETTER_STACK_SECRET_ENV]).toEqual([
      RUNTIME_LINEAR_ENV,
      RUNTIME_BETTER_STACK_ENV,
    ]);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Sid: 'ReadSourceCredentials',
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource: [LINEAR_ARN, BETTER_STACK_ARN],
          },
        ],
      },
    });
  });

  it('adds nothing when neither source is configured', () => {
    const { credentials, template } = withFunction({});
    expect(credentials.environment).toEqual({});
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });
});
