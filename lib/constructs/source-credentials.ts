import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** Environment variables through which functions learn where the credentials are (never what). */
export const LINEAR_SECRET_ENV = 'CM01_LINEAR_SECRET_ARN';
export const BETTER_STACK_SECRET_ENV = 'CM01_BETTER_STACK_SECRET_ARN';

export interface SourceCredentialsProps {
  /**
   * Complete ARN of an existing secret holding `{"apiKey":"lin_api_…"}` (a Linear API key).
   * @default - Linear is not configured; TICKET-LINKED does not check that tickets exist
   */
  readonly linearSecretArn?: string;
  /**
   * Complete ARN of an existing secret holding `{"token":"…"}` (a Better Stack Uptime API token).
   * @default - Better Stack is not configured; the Incident Commander is the GitHub team only and
   * the change-failure rate is the deployment proxy
   */
  readonly betterStackSecretArn?: string;
}

/**
 * The credentials of the sources beyond GitHub, when the deployment names them. They are
 * existing secrets (the stack never creates an empty one: an empty secret would make a source
 * "configured but unreachable" on every run). Functions receive the ARNs and may call
 * `GetSecretValue` on them, nothing else.
 */
export class SourceCredentials extends Construct {
  readonly secrets: readonly secretsmanager.ISecret[];
  /** The variables to add to the jobs' environment: only the sources configured. */
  readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: SourceCredentialsProps = {}) {
    super(scope, id);
    const secrets: secretsmanager.ISecret[] = [];
    const environment: Record<string, string> = {};
    if (props.linearSecretArn) {
      const secret = secretsmanager.Secret.fromSecretCompleteArn(this, 'Linear', props.linearSecretArn);
      secrets.push(secret);
      environment[LINEAR_SECRET_ENV] = secret.secretArn;
    }
    if (props.betterStackSecretArn) {
      const secret = secretsmanager.Secret.fromSecretCompleteArn(
        this,
        'BetterStack',
        props.betterStackSecretArn,
      );
      secrets.push(secret);
      environment[BETTER_STACK_SECRET_ENV] = secret.secretArn;
    }
    this.secrets = secrets;
    this.environment = environment;
  }

  /** `secretsmanager:GetSecretValue` on these secrets only. */
  grantRead(grantee: lambda.IFunction): void {
    if (this.secrets.length === 0) return;
    const principal = grantee.role;
    if (!principal) throw new Error(`${grantee.node.path}: the function has no role to grant to`);
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadSourceCredentials',
        actions: ['secretsmanager:GetSecretValue'],
        resources: this.secrets.map((secret) => secret.secretArn),
      }),
    );
  }
}
