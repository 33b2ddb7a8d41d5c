import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS_DENIED_TO_EVIDENCE_ROLES } from '../../lib/constructs/evidence-storage.ts';
import { resourcesOfType, type SynthesizedEvidenceApp, synthesizeEvidenceApp } from './evidence-app.ts';
import {
  actionMatches,
  decide,
  denialsNaming,
  everyIdentityStatement,
  identityStatementsOf,
  resolveIntrinsic,
  type Statement,
  statementsOf,
} from './iam-policies.ts';

/**
 * Index writes no role may hold: the index is a cache of the bucket, and a writer that could
 * delete or rewrite rows in place could hide evidence from anything that trusts the index.
 * BatchWriteItem carries deletes; the PartiQL statements are the same writes by another door.
 */
const INDEX_ACTIONS_NO_ROLE_MAY_HOLD = [
  'dynamodb:DeleteItem',
  'dynamodb:UpdateItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLDelete',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLInsert',
  'dynamodb:RestoreTableFromBackup',
  'dynamodb:ImportTable',
];

/** Every DynamoDB action the index adapter sends (lambdas/adapters/dynamo-index.ts). */
const DYNAMODB_ACTIONS_THE_CODE_USES = [
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:DescribeTable',
  'dynamodb:DescribeTimeToLive',
];

/** What no role of this stack may ever be allowed, whatever the resource. */
const NEVER_ALLOWED = [
  ...ACTIONS_DENIED_TO_EVIDENCE_ROLES,
  's3:DeleteObjectTagging',
  's3:DeleteObjectVersionTagging',
  'kms:PutKeyPolicy',
  'kms:ScheduleKeyDeletion',
  'kms:DisableKey',
  ...INDEX_ACTIONS_NO_ROLE_MAY_HOLD,
  's3:PutObjectTagging',
  's3:PutObjectVersionTagging',
  's3:RestoreObject',
  'dynamodb:DeleteTable',
  'dynamodb:UpdateTable',
  'dynamodb:UpdateContinuousBackups',
  'dynamodb:UpdateTimeToLive',
  'secretsmanager:PutSecretValue',
  'secretsmanager:DeleteSecret',
  'iam:PassRole',
  'iam:PutRolePolicy',
];

let synthesized: SynthesizedEvidenceApp;
let bucket: string;
let table: string;
let key: string;
let secret: string;
let resourcePolicyStatements: Statement[];

function roleOfFunction(prefix: string): string {
  const found = resourcesOfType(synthesized.resources, 'AWS::Lambda::Function').find(([id]) =>
    id.startsWith(prefix),
  );
  if (!found) throw new Error(`no function ${prefix}`);
  return (found[1].Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
}

function auditorRole(): string {
  const found = resourcesOfType(synthesized.resources, 'AWS::IAM::Role').find(([id]) =>
    id.startsWith('AuditorRole'),
  );
  if (!found) throw new Error('no auditor role');
  return found[0];
}

/** May the role do this, counting its own policies and the bucket/key policies' denies naming it? */
function may(roleId: string, action: string, resource: string): ReturnType<typeof decide> {
  return decide(
    identityStatementsOf(synthesized.resources, roleId),
    denialsNaming(resourcePolicyStatements, roleId),
    action,
    resource,
  );
}

beforeAll(() => {
  synthesized = synthesizeEvidenceApp();
  const evidenceBucket = resourcesOfType(synthesized.resources, 'AWS::S3::Bucket').find(
    ([, b]) => b.Properties.ObjectLockEnabled === true,
  );
  bucket = `<${evidenceBucket?.[0]}.Arn>`;
  table = `<${resourcesOfType(synthesized.resources, 'AWS::DynamoDB::Table')[0]?.[0]}.Arn>`;
  key = `<${resourcesOfType(synthesized.resources, 'AWS::KMS::Key').find(([id]) => id.startsWith('EvidenceStorageKey'))?.[0]}.Arn>`;
  secret = `<${resourcesOfType(synthesized.resources, 'AWS::SecretsManager::Secret')[0]?.[0]}>`;
  resourcePolicyStatements = [
    ...resourcesOfType(synthesized.resources, 'AWS::S3::BucketPolicy').flatMap(([id, policy]) =>
      statementsOf(policy.Properties.PolicyDocument, id),
    ),
    ...resourcesOfType(synthesized.resources, 'AWS::KMS::Key').flatMap(([id, k]) =>
      statementsOf(k.Properties.KeyPolicy, id),
    ),
  ];
});

afterAll(() => synthesized.dispose());

describe('no identity policy in the stack grants a destructive or weakening action', () => {
  it('walks every policy document and finds none of the forbidden actions allowed, even by wildcard', () => {
    const statements = everyIdentityStatement(synthesized.resources);
    expect(statements.length).toBeGreaterThan(20);
    const offending = statements
      .filter((statement) => statement.effect === 'Allow')
      .flatMap((statement) =>
        NEVER_ALLOWED.filter((forbidden) =>
          statement.actions.some((pattern) => actionMatches(pattern, forbidden)),
        ).map(
          (forbidden) => `${statement.source}${statement.sid ? `/${statement.sid}` : ''} allows ${forbidden}`,
        ),
      );
    expect(offending).toEqual([]);
  });

  it('uses Resource "*" only for X-Ray and log delivery, which have no resource-level permissions', () => {
    const wildcardActions = everyIdentityStatement(synthesized.resources)
      .filter((statement) => statement.effect === 'Allow' && statement.resources.includes('*'))
      .flatMap((statement) => statement.actions);
    expect(wildcardActions.length).toBeGreaterThan(0);
    for (const action of wildcardActions) expect(action).toMatch(/^(xray|logs):/);
  });

  it('the forbidden-action check itself catches a wildcard grant', () => {
    const wildcard: Statement = {
      effect: 'Allow',
      actions: ['s3:Delete*'],
      resources: ['*'],
      conditions: {},
      source: 'test',
    };
    expect(decide([wildcard], [], 's3:DeleteObjectVersion', `${bucket}/evidence/x`).allowed).toBe(true);
  });
});

/** Roles allowed to write an evidence object or an index row. */
function writerRoles(): string[] {
  return resourcesOfType(synthesized.resources, 'AWS::IAM::Role')
    .map(([id]) => id)
    .filter(
      (id) =>
        may(id, 's3:PutObject', `${bucket}/evidence/acme/web/pull-request/2026/10/7.json`).allowed ||
        may(id, 's3:PutObject', `${bucket}/packs/2026-10/x.pdf`).allowed ||
        may(id, 'dynamodb:PutItem', table).allowed,
    );
}

describe('writer roles hold only the writes the code uses', () => {
  it('no writer role may delete or update an index row, on the table or its index, by any action', () => {
    const writers = writerRoles();
    expect(writers.length).toBe(3); // scheduled collectors, the pack builder, the per-repository collector
    const offending: string[] = [];
    for (const role of writers) {
      for (const action of INDEX_ACTIONS_NO_ROLE_MAY_HOLD) {
        for (const resource of [table, `${table}/index/byRepo`, '*']) {
          if (may(role, action, resource).allowed) offending.push(`${role} may ${action} on ${resource}`);
        }
      }
    }
    expect(offending).toEqual([]);
  });

  it('every DynamoDB action any statement allows is one the index adapter sends', () => {
    const allowed = everyIdentityStatement(synthesized.resources)
      .filter((statement) => statement.effect === 'Allow')
      .flatMap((statement) => statement.actions.map((action) => ({ action, source: statement.source })))
      .filter(({ action }) => action.toLowerCase().startsWith('dynamodb:'));
    expect(allowed.length).toBeGreaterThan(0);
    const unused = allowed.filter(
      ({ action }) =>
        !DYNAMODB_ACTIONS_THE_CODE_USES.some((used) => used.toLowerCase() === action.toLowerCase()),
    );
    expect(unused.map(({ action, source }) => `${source} allows ${action}`)).toEqual([]);
  });

  it('no writer role may delete, overwrite the retention of, or tag away an evidence object or pack', () => {
    const offending: string[] = [];
    for (const role of writerRoles()) {
      for (const action of [
        's3:DeleteObject',
        's3:DeleteObjectVersion',
        's3:BypassGovernanceRetention',
        's3:PutObjectLegalHold',
        's3:PutObjectTagging',
        's3:PutObjectVersionTagging',
        's3:PutObjectAcl',
        's3:PutObjectVersionAcl',
        's3:RestoreObject',
      ]) {
        for (const resource of [
          `${bucket}/evidence/acme/web/pull-request/2026/10/7.json`,
          `${bucket}/packs/2026-10/x.pdf`,
          bucket,
        ]) {
          if (may(role, action, resource).allowed) offending.push(`${role} may ${action} on ${resource}`);
        }
      }
    }
    expect(offending).toEqual([]);
  });

  it('the check itself catches a writer granted BatchWriteItem or dynamodb:*', () => {
    for (const pattern of ['dynamodb:BatchWriteItem', 'dynamodb:*', 'dynamodb:*Item']) {
      const grant: Statement = {
        effect: 'Allow',
        actions: [pattern],
        resources: [table],
        conditions: {},
        source: 'test',
      };
      expect(
        INDEX_ACTIONS_NO_ROLE_MAY_HOLD.some((action) => decide([grant], [], action, table).allowed),
        pattern,
      ).toBe(true);
    }
  });
});

describe('writer roles', () => {
  it('collectors write evidence only, read the credential, and cannot delete or touch retention', () => {
    const collector = roleOfFunction('CollectPullRequestsJob');
    expect(
      may(collector, 's3:PutObject', `${bucket}/evidence/acme/web/pull-request/2026/10/7.json`).allowed,
    ).toBe(true);
    expect(may(collector, 's3:PutObject', `${bucket}/packs/2026-10/pack.pdf`).allowed).toBe(false);
    expect(
      may(collector, 's3:GetObjectVersion', `${bucket}/evidence/acme/web/pull-request/2026/10/7.json`)
        .allowed,
    ).toBe(true);
    expect(may(collector, 'secretsmanager:GetSecretValue', secret).allowed).toBe(true);
    expect(may(collector, 'kms:GenerateDataKey', key).allowed).toBe(true);
    expect(may(collector, 'dynamodb:PutItem', table).allowed).toBe(true);
    expect(may(collector, 'dynamodb:Query', `${table}/index/byRepo`).allowed).toBe(true);
    for (const action of ACTIONS_DENIED_TO_EVIDENCE_ROLES) {
      expect(
        may(collector, action, `${bucket}/evidence/acme/web/pull-request/2026/10/7.json`).allowed,
        action,
      ).toBe(false);
      expect(may(collector, action, bucket).allowed, action).toBe(false);
    }
    expect(may(collector, 'dynamodb:DeleteItem', table).allowed).toBe(false);
    expect(may(collector, 'dynamodb:UpdateItem', table).allowed).toBe(false);
    expect(may(collector, 'dynamodb:BatchWriteItem', table).allowed).toBe(false);
  });

  it('the pack builder writes packs and evidence and reads the GitHub credential to re-collect the month', () => {
    const builder = roleOfFunction('BuildPackJob');
    expect(may(builder, 's3:PutObject', `${bucket}/packs/2026-10/pack.pdf`).allowed).toBe(true);
    expect(may(builder, 's3:PutObject', `${bucket}/evidence/acme/_org/pack/2026/10/x.json`).allowed).toBe(
      true,
    );
    expect(may(builder, 'secretsmanager:GetSecretValue', secret).allowed).toBe(true);
    // S3 requires PutObjectRetention for a PutObject with lock headers; the bucket policy below
    // keeps it from shortening anything.
    expect(may(builder, 's3:PutObjectRetention', `${bucket}/packs/2026-10/pack.pdf`).allowed).toBe(true);
  });

  it('a read-only job reads evidence and the index and writes nothing', () => {
    const reader = roleOfFunction('ReportStatusJob');
    expect(may(reader, 's3:GetObject', `${bucket}/packs/2026-10/pack.pdf`).allowed).toBe(true);
    expect(may(reader, 'dynamodb:Query', table).allowed).toBe(true);
    expect(may(reader, 's3:PutObject', `${bucket}/evidence/x.json`).allowed).toBe(false);
    expect(may(reader, 'dynamodb:PutItem', table).allowed).toBe(false);
    expect(may(reader, 'kms:GenerateDataKey', key).allowed).toBe(false);
  });

  it('the repository lister reads the credential but has no access to the store', () => {
    const lister = roleOfFunction('CollectDeploymentsList');
    expect(may(lister, 'secretsmanager:GetSecretValue', secret).allowed).toBe(true);
    expect(may(lister, 's3:GetObject', `${bucket}/evidence/x.json`).allowed).toBe(false);
    expect(may(lister, 'dynamodb:Query', table).allowed).toBe(false);
  });

  it('every role with store access is named in the bucket-policy and key-policy denies', () => {
    const storeRoles = resourcesOfType(synthesized.resources, 'AWS::IAM::Role')
      .map(([id]) => id)
      .filter((id) =>
        identityStatementsOf(synthesized.resources, id).some((s) =>
          s.resources.some((r) => r.startsWith(bucket)),
        ),
      );
    expect(storeRoles.length).toBe(5); // collect, build-pack, read-only, per-repository collector, auditor
    const bucketDeny = resourcePolicyStatements.find((s) => s.sid === 'DenyWeakeningByEvidenceRoles');
    const keyDeny = resourcePolicyStatements.find((s) => s.sid === 'DenyKeyWeakeningByEvidenceRoles');
    for (const role of storeRoles) {
      expect(bucketDeny?.conditions.ArnEquals?.['aws:PrincipalArn'], role).toContain(`<${role}.Arn>`);
      expect(keyDeny?.conditions.ArnEquals?.['aws:PrincipalArn'], role).toContain(`<${role}.Arn>`);
    }
    expect(bucketDeny?.resources).toEqual([bucket, `${bucket}/*`]);
    expect(bucketDeny?.actions).toEqual(
      expect.arrayContaining(['s3:DeleteObjectVersion', 's3:PutBucketPolicy']),
    );
  });

  it('writers may set retention only in the bucket’s mode and never shorter than its default', () => {
    const shortDeny = resourcePolicyStatements.find((s) => s.sid === 'DenyShortRetentionByEvidenceRoles');
    const modeDeny = resourcePolicyStatements.find((s) => s.sid === 'DenyOtherLockModeByEvidenceRoles');
    const weakeningDeny = resourcePolicyStatements.find((s) => s.sid === 'DenyWeakeningByEvidenceRoles');
    for (const deny of [shortDeny, modeDeny]) {
      expect(deny?.actions).toEqual(['s3:PutObject', 's3:PutObjectRetention']);
      expect(deny?.conditions.ArnEquals?.['aws:PrincipalArn']).toEqual(
        weakeningDeny?.conditions.ArnEquals?.['aws:PrincipalArn'],
      );
    }
    expect(shortDeny?.conditions.NumericLessThan).toEqual({
      's3:object-lock-remaining-retention-days': ['364'],
    });
    expect(modeDeny?.conditions.StringNotEqualsIfExists).toEqual({ 's3:object-lock-mode': ['COMPLIANCE'] });
    expect(weakeningDeny?.actions).toContain('s3:BypassGovernanceRetention');
  });

  it('no stack role may pass roles or change IAM', () => {
    const iamActions = everyIdentityStatement(synthesized.resources)
      .filter((statement) => statement.effect === 'Allow')
      .flatMap((statement) => statement.actions)
      .filter((action) => action.startsWith('iam:'));
    expect(iamActions).toEqual([]);
  });
});

describe('auditor role', () => {
  it('reads packs and, for verify, evidence versions', () => {
    const auditor = auditorRole();
    expect(
      may(auditor, 's3:GetObject', `${bucket}/packs/2026-10/cm01-acme-2026-10-clerk-cm01.pdf`).allowed,
    ).toBe(true);
    expect(may(auditor, 's3:GetObjectVersion', `${bucket}/packs/2026-10/x.manifest.json`).allowed).toBe(true);
    expect(
      may(auditor, 's3:GetObjectVersion', `${bucket}/evidence/acme/web/pull-request/2026/10/7.json`).allowed,
    ).toBe(true);
    expect(
      may(auditor, 's3:GetObjectRetention', `${bucket}/evidence/acme/web/pull-request/2026/10/7.json`)
        .allowed,
    ).toBe(true);
    expect(may(auditor, 's3:GetBucketObjectLockConfiguration', bucket).allowed).toBe(true);
  });

  it('lists packs/ only', () => {
    const decision = may(auditorRole(), 's3:ListBucket', bucket);
    expect(decision.allowed).toBe(true);
    expect(decision.conditions).toEqual([{ StringLike: { 's3:prefix': ['packs/', 'packs/*'] } }]);
  });

  it('cannot write, delete or change anything in the bucket', () => {
    const auditor = auditorRole();
    for (const action of [
      's3:PutObject',
      's3:DeleteObject',
      's3:DeleteObjectVersion',
      's3:PutObjectRetention',
      's3:PutBucketPolicy',
      's3:PutObjectLegalHold',
    ]) {
      for (const resource of [bucket, `${bucket}/packs/2026-10/x.pdf`, `${bucket}/evidence/x.json`]) {
        expect(may(auditor, action, resource).allowed, `${action} ${resource}`).toBe(false);
      }
    }
    const writeDeny = resourcePolicyStatements.find((s) => s.sid === 'DenyWritesByReadOnlyRoles');
    expect(writeDeny?.conditions.ArnEquals?.['aws:PrincipalArn']).toEqual([`<${auditor}.Arn>`]);
    expect(writeDeny?.actions).toEqual(expect.arrayContaining(['s3:Put*', 's3:Delete*']));
  });

  it('has no permission on DynamoDB, the secret, or key encryption', () => {
    const statements = identityStatementsOf(synthesized.resources, auditorRole());
    const actions = statements.flatMap((statement) => statement.actions);
    expect(actions.filter((action) => /^(dynamodb|secretsmanager|iam|sts):/.test(action))).toEqual([]);
    expect(actions.filter((action) => action.startsWith('kms:'))).toEqual(['kms:Decrypt']);
    const decrypt = statements.find((statement) => statement.actions.includes('kms:Decrypt'));
    expect(decrypt?.conditions.StringEquals?.['kms:ViaService']).toEqual(['s3.<AWS::Region>.amazonaws.com']);
    for (const action of actions) expect(action).toMatch(/^(s3:(Get|List)|kms:Decrypt$)/);
  });

  it('is assumable by the deploying account by default, and by the configured principal', () => {
    const trust = (id: string, resources: SynthesizedEvidenceApp['resources']) =>
      statementsOf(resources[id]?.Properties.AssumeRolePolicyDocument, id);
    const defaultTrust = synthesized.resources[auditorRole()]?.Properties.AssumeRolePolicyDocument as {
      Statement: { Principal: { AWS: unknown } }[];
    };
    expect(resolveIntrinsic(defaultTrust.Statement[0]?.Principal.AWS)).toBe(
      'arn:<AWS::Partition>:iam::<AWS::AccountId>:root',
    );
    const configured = synthesizeEvidenceApp({
      jobs: [],
      context: { 'cm01:auditorPrincipal': '123456789012' },
    });
    const roleId =
      resourcesOfType(configured.resources, 'AWS::IAM::Role').find(([id]) =>
        id.startsWith('AuditorRole'),
      )?.[0] ?? '';
    expect(trust(roleId, configured.resources)[0]?.actions).toEqual(['sts:AssumeRole']);
    const configuredTrust = configured.resources[roleId]?.Properties.AssumeRolePolicyDocument as {
      Statement: { Principal: { AWS: unknown } }[];
    };
    expect(resolveIntrinsic(configuredTrust.Statement[0]?.Principal.AWS)).toBe(
      'arn:<AWS::Partition>:iam::123456789012:root',
    );
    expect(configured.resources[roleId]?.Properties.MaxSessionDuration).toBe(3600);
    configured.dispose();
  });
});
