import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNING_KEY_ENV } from '../../lambdas/adapters/open-signer.ts';
import { resourcesOfType, type SynthesizedEvidenceApp, synthesizeEvidenceApp } from './evidence-app.ts';

/**
 * The KMS key that signs pack seals, as the template declares it: asymmetric P-256 for signing,
 * retained, the longest deletion window, and a key policy under which only the pack job signs.
 */
let synthesized: SynthesizedEvidenceApp;

beforeAll(() => {
  synthesized = synthesizeEvidenceApp();
});

afterAll(() => synthesized.dispose());

interface KeyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal: unknown;
  Action: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

function signingKey(): { id: string; properties: Record<string, unknown>; deletionPolicy?: string } {
  const keys = resourcesOfType(synthesized.resources, 'AWS::KMS::Key').filter(
    ([, r]) => r.Properties.KeySpec === 'ECC_NIST_P256',
  );
  expect(keys).toHaveLength(1);
  const [id, resource] = keys[0]!;
  return {
    id,
    properties: resource.Properties,
    ...(resource.DeletionPolicy ? { deletionPolicy: resource.DeletionPolicy } : {}),
  };
}

function statements(): KeyStatement[] {
  return (signingKey().properties.KeyPolicy as { Statement: KeyStatement[] }).Statement;
}

function actionsOf(s: KeyStatement): string[] {
  return Array.isArray(s.Action) ? s.Action : [s.Action];
}

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

const arnOf = (roleId: string) => ({ 'Fn::GetAtt': [roleId, 'Arn'] });

describe('the pack signing key', () => {
  it('is an asymmetric ECC_NIST_P256 key for SIGN_VERIFY, retained, with a 30-day deletion window', () => {
    synthesized.template.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({
        KeySpec: 'ECC_NIST_P256',
        KeyUsage: 'SIGN_VERIFY',
        EnableKeyRotation: false,
        PendingWindowInDays: 30,
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('lets only the pack job sign, with ECDSA_SHA_256, and denies Sign to every other principal', () => {
    const packRole = roleOfFunction('BuildPack');
    const allowSign = statements().filter(
      (s) =>
        s.Effect === 'Allow' &&
        actionsOf(s).some((a) => a === 'kms:Sign' || a === 'kms:*' || a === 'kms:Sign*'),
    );
    expect(allowSign).toHaveLength(1);
    expect(allowSign[0]!.Principal).toEqual({ AWS: arnOf(packRole) });
    expect(allowSign[0]!.Condition).toEqual({ StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256' } });
    const deny = statements().find((s) => s.Effect === 'Deny' && actionsOf(s).includes('kms:Sign'));
    expect(deny?.Principal).toEqual({ AWS: '*' });
    expect(deny?.Condition).toEqual({ ArnNotEquals: { 'aws:PrincipalArn': arnOf(packRole) } });
  });

  it('gives the account administration without any cryptographic use', () => {
    const account = statements().find((s) => s.Sid === 'AccountAdministersWithoutUsing');
    expect(account).toBeDefined();
    for (const action of actionsOf(account!)) {
      expect(['kms:*', 'kms:Sign', 'kms:Verify', 'kms:GetPublicKey']).not.toContain(action);
      expect(action).not.toMatch(/^kms:(Sign|Verify|Encrypt|Decrypt|GenerateDataKey|ReEncrypt)/);
    }
  });

  it('lets the auditor role verify and read the public key, never sign', () => {
    const auditor = arnOf(auditorRole());
    const verify = statements().find((s) => s.Sid === 'AuditorAndPackJobVerify');
    expect(verify?.Principal).toEqual({ AWS: expect.arrayContaining([auditor]) });
    expect(actionsOf(verify!).sort()).toEqual(['kms:DescribeKey', 'kms:GetPublicKey', 'kms:Verify']);
    const auditorSigns = statements().filter(
      (s) =>
        s.Effect === 'Allow' &&
        JSON.stringify(s.Principal).includes(auditorRole()) &&
        actionsOf(s).includes('kms:Sign'),
    );
    expect(auditorSigns).toEqual([]);
  });

  it('is named to the pack job alone, as kms:<key ARN>', () => {
    const key = signingKey().id;
    const functions = resourcesOfType(synthesized.resources, 'AWS::Lambda::Function');
    const withKey = functions.filter(
      ([, f]) =>
        (f.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.[
          SIGNING_KEY_ENV
        ] !== undefined,
    );
    expect(withKey.map(([id]) => id)).toEqual([expect.stringMatching(/^BuildPack/)]);
    const value = (withKey[0]![1].Properties.Environment as { Variables: Record<string, unknown> }).Variables[
      SIGNING_KEY_ENV
    ];
    expect(JSON.stringify(value)).toContain(key);
    expect(JSON.stringify(value)).toContain('kms:');
  });

  it('is granted to no other job role', () => {
    const packRole = roleOfFunction('BuildPack');
    const policies = resourcesOfType(synthesized.resources, 'AWS::IAM::Policy');
    for (const [id, policy] of policies) {
      const doc = policy.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] };
      const grantsSign = doc.Statement.some((s) =>
        (Array.isArray(s.Action) ? s.Action : [s.Action]).includes('kms:Sign'),
      );
      const roles = JSON.stringify(policy.Properties.Roles);
      if (grantsSign) expect(roles, id).toContain(packRole);
    }
  });
});
