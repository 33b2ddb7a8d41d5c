import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CONTROL_IDS,
  parseProfile,
  profileControlIds,
  profileVersionAt,
  requirementOf,
  versionsInForce,
} from '../../../lambdas/core/profile.ts';
import { resolveProfile } from '../../../lambdas/core/profile-files.ts';
import clerkJson from '../../../lambdas/core/profiles/clerk-cm01.json' with { type: 'json' };
import { InputError } from '../../../lambdas/errors.ts';
import { CLERK, CLICKI } from './builders.ts';

function refused(json: unknown): InputError {
  try {
    parseProfile(json, 'test.json');
  } catch (error: unknown) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('the profile was accepted');
}

const clone = (): typeof clerkJson => structuredClone(clerkJson);

describe('shipped profiles', () => {
  it('Clerk requires peer review under v1.0 and makes it informational from 2026-04-29 (v1.1)', () => {
    expect(profileVersionAt(CLERK, '2026-04-20T10:00:00Z').version).toBe('v1.0');
    expect(profileVersionAt(CLERK, '2026-04-28T23:59:59Z').version).toBe('v1.0');
    expect(profileVersionAt(CLERK, '2026-04-29T00:00:00Z').version).toBe('v1.1');
    expect(requirementOf(profileVersionAt(CLERK, '2026-04-20T10:00:00Z'), 'PEER-REVIEW')).toBe('required');
    expect(requirementOf(profileVersionAt(CLERK, '2026-05-02T10:00:00Z'), 'PEER-REVIEW')).toBe(
      'informational',
    );
  });

  it('Clerk keeps PRs, tickets, CI and specialist reviews required in both versions; segregation is informational', () => {
    for (const version of CLERK.versions) {
      for (const id of [
        'PR-REQUIRED',
        'TICKET-LINKED',
        'CI-PASSED',
        'SECURITY-REVIEW',
        'IAC-SIGNOFF',
        'RETENTION',
      ] as const) {
        expect(requirementOf(version, id)).toBe('required');
      }
      expect(requirementOf(version, 'SEGREGATION')).toBe('informational');
      expect(requirementOf(version, 'CHANGE-RECORD')).toBe('informational');
    }
  });

  it('Clicki requires review with a standard-change exemption and makes tickets informational', () => {
    const [version] = CLICKI.versions;
    expect(requirementOf(version!, 'PEER-REVIEW')).toBe('required');
    expect(version!.controls['PEER-REVIEW']?.exemptStandardChanges).toBe(true);
    expect(requirementOf(version!, 'TICKET-LINKED')).toBe('informational');
    expect(requirementOf(version!, 'CHANGE-RECORD')).toBe('required');
    expect(requirementOf(version!, 'CHANGE-FAILURE-RATE')).toBe('informational');
  });

  it('uses the default conventions of the control specification', () => {
    const p = CLERK.parameters;
    expect(p.teams).toEqual({
      securityChamps: 'security-champs',
      sre: 'sre',
      incidentCommanders: 'incident-commanders',
      overrideApprovers: 'override-approvers',
    });
    expect(new RegExp(p.ticketPattern).test('alice/ENG-12-refunds')).toBe(true);
    expect(p.requiredCiCategories).toEqual(['unit', 'integration', 'sca', 'sast']);
    expect(CLICKI.parameters.requiredCiCategories).toEqual([]);
    expect([
      p.retrospectiveHours,
      p.postMortemHours,
      p.rollbackWindowMinutes,
      p.changeFailureThreshold,
    ]).toEqual([24, 120, 60, 0.03]);
    expect(p.minRetentionDays).toBe(365);
    expect(p.allowGovernanceRetention).toBe(false);
    expect(p.cdAutomation).toEqual({ bots: true, apps: ['github-actions'] });
    expect(profileControlIds(CLERK)).toEqual([...CONTROL_IDS]);
  });

  it('lists the versions in force during a window', () => {
    expect(
      versionsInForce(CLERK, '2026-04-01T00:00:00Z', '2026-05-01T00:00:00Z').map((v) => v.version),
    ).toEqual(['v1.0', 'v1.1']);
    expect(
      versionsInForce(CLERK, '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z').map((v) => v.version),
    ).toEqual(['v1.1']);
  });
});

describe('parseProfile refuses a bad profile with the path of the bad field', () => {
  it('names a bad requirement', () => {
    const json = clone();
    (json.versions[1]!.controls['PEER-REVIEW'] as { requirement: string }).requirement = 'sometimes';
    const error = refused(json);
    expect(error.field).toBe('versions[1].controls.PEER-REVIEW.requirement');
    expect(error.message).toContain('test.json');
  });

  it('refuses an unknown control id', () => {
    const json = clone() as unknown as { versions: { controls: Record<string, unknown> }[] };
    json.versions[0]!.controls['CODE-OWNERS'] = { requirement: 'required' };
    const error = refused(json);
    expect(error.field).toBe('versions[0].controls.CODE-OWNERS');
    expect(error.message).toContain('unknown control id');
  });

  it('refuses a ticket pattern that is no regular expression', () => {
    const json = clone();
    json.parameters.ticketPattern = '[A-Z';
    expect(refused(json).field).toBe('parameters.ticketPattern');
  });

  it('refuses versions out of date order and a misspelt parameter', () => {
    const json = clone();
    json.versions[1]!.effectiveFrom = '2024-01-01';
    expect(refused(json).field).toBe('versions[1].effectiveFrom');
    const typo = clone() as unknown as { parameters: Record<string, unknown> };
    typo.parameters.rollbackWindowMinute = 5;
    expect(refused(typo).field).toBe('parameters.rollbackWindowMinute');
  });

  it('refuses a required CI category the categories do not define', () => {
    const json = clone();
    json.parameters.requiredCiCategories = ['unit', 'fuzzing'];
    expect(refused(json).field).toBe('parameters.requiredCiCategories');
  });
});

describe('resolveProfile', () => {
  it('resolves a shipped id and a profile file', async () => {
    expect((await resolveProfile('clicki')).profile.id).toBe('clicki');
    const dir = await mkdtemp(join(tmpdir(), 'cm01-profile-'));
    const json = clone();
    json.id = 'acme';
    const file = join(dir, 'acme.json');
    await writeFile(file, JSON.stringify(json));
    const loaded = await resolveProfile(file);
    expect(loaded.profile.id).toBe('acme');
    expect(loaded.origin).toBe(file);
  });

  it('refuses an unknown id, naming the shipped ones, and a missing file', async () => {
    await expect(resolveProfile('clerk')).rejects.toThrow(
      /not a shipped profile \(shipped: clerk-cm01, clicki\)/,
    );
    await expect(resolveProfile('./nope.json')).rejects.toThrow(/cannot read profile file/);
  });
});
