import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** What signs a seal and what checks one (the CLI's KMS adapter uses exactly these). */
export const SIGN_ACTIONS = ['kms:Sign'] as const;
export const VERIFY_ACTIONS = ['kms:Verify', 'kms:GetPublicKey', 'kms:DescribeKey'] as const;

/**
 * Key administration for the account, without the right to use the key: the "key administrators"
 * statement of the AWS default key policy, minus every cryptographic operation.
 */
const ADMIN_ACTIONS = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
] as const;

export interface PackSigningKeyProps {
  /** The pack job's role: the only principal that may sign. */
  readonly signer: iam.IRole;
  /** The role that verifies seals and reads the public key (the auditor role). */
  readonly verifier: iam.IRole;
  /**
   * Waiting period before a scheduled deletion takes effect. AWS recommends the longest for keys
   * whose loss cannot be undone: a deleted signing key leaves every pack's seal without its
   * KMS-side check (the public key embedded in each pack still verifies it).
   * @default Duration.days(30)
   */
  readonly pendingWindow?: Duration;
}

/**
 * The KMS asymmetric key that signs pack seals: `ECC_NIST_P256`, `SIGN_VERIFY`, signing algorithm
 * `ECDSA_SHA_256`. Its key policy lets only the pack job roles sign (an explicit deny for every
 * other principal, so no IAM policy in the account can add a signer), the verifier and the pack
 * jobs verify and read the public key, and the account administer it without using it.
 *
 * Asymmetric keys cannot rotate automatically. To rotate: deploy a new key (a new logical id),
 * point the pack job at it, keep the old key enabled for Verify/GetPublicKey (never delete it
 * while packs it signed are retained), and publish its public key. Each seal names its key and
 * embeds the public key, so packs signed by either key keep verifying.
 */
export class PackSigningKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: PackSigningKeyProps) {
    super(scope, id);
    const signerArn = props.signer.roleArn;
    const policy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'AccountAdministersWithoutUsing',
          principals: [new iam.AccountRootPrincipal()],
          actions: [...ADMIN_ACTIONS],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'PackJobSigns',
          principals: [new iam.ArnPrincipal(signerArn)],
          actions: [...SIGN_ACTIONS],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256' } },
        }),
        // The account statement above cannot grant Sign, and this deny keeps any IAM policy in the
        // account from adding a signer.
        new iam.PolicyStatement({
          sid: 'NobodyElseSigns',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: [...SIGN_ACTIONS],
          resources: ['*'],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': signerArn } },
        }),
        new iam.PolicyStatement({
          sid: 'AuditorAndPackJobVerify',
          principals: [new iam.ArnPrincipal(props.verifier.roleArn), new iam.ArnPrincipal(signerArn)],
          actions: [...VERIFY_ACTIONS],
          resources: ['*'],
        }),
      ],
    });
    this.key = new kms.Key(this, 'Key', {
      description: 'Signs CM-01 evidence pack seals (ECDSA P-256, SHA-256)',
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      // Asymmetric keys cannot rotate automatically: see the class comment for how to rotate.
      enableKeyRotation: false,
      pendingWindow: props.pendingWindow ?? Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
      policy,
    });
    props.signer.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SignPackSeals',
        actions: [...SIGN_ACTIONS, ...VERIFY_ACTIONS],
        resources: [this.key.keyArn],
      }),
    );
  }
}
