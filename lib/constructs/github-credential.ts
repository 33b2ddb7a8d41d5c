import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface GitHubCredentialProps {
  /**
   * Complete ARN of an existing secret holding the GitHub token or App key.
   * @default - the construct creates an empty secret to be filled after deployment
   */
  readonly existingSecretArn?: string;
}

/**
 * The GitHub credential in Secrets Manager. Functions receive its ARN and may call
 * `GetSecretValue` on it — nothing else — so the token never sits in an environment variable.
 */
export class GitHubCredential extends Construct {
  readonly secret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: GitHubCredentialProps = {}) {
    super(scope, id);
    if (props.existingSecretArn) {
      this.secret = secretsmanager.Secret.fromSecretCompleteArn(this, 'Secret', props.existingSecretArn);
      return;
    }
    const created = new secretsmanager.Secret(this, 'Secret', {
      description:
        'GitHub credential of the CM-01 evidence collector: the bare token, {"token"}, or a GitHub App {"appId","privateKey","installationId"} (docs/deploy.md). Set its value after deployment.',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(created).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A GitHub token or App private key is issued by GitHub, not by AWS: there is no rotation Lambda that could mint a new one; it is rotated in GitHub and written here.',
    });
    this.secret = created;
  }

  /** `secretsmanager:GetSecretValue` on this secret only (no Describe, no List, no write). */
  grantRead(grantee: lambda.IFunction | iam.IRole): void {
    const principal = 'roleArn' in grantee ? grantee : grantee.role;
    if (!principal) throw new Error(`${grantee.node.path}: the function has no role to grant to`);
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadGitHubCredential',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.secret.secretArn],
      }),
    );
  }
}
