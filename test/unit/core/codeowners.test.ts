import { describe, expect, it } from 'vitest';
import { ownedByTeam, parseCodeOwners } from '../../../lambdas/core/codeowners.ts';

// A parsed file is shared between changes with the same text: a change must never be judged
// with another repository's (or another pack's) CODEOWNERS.
describe('parseCodeOwners', () => {
  it('answers each text with its own rules, however often and in whatever order they are asked', () => {
    const security = '# owners\n/src/auth/ @acme/security\n*.tf @acme/platform\n';
    const nobody = '/src/auth/ @acme/frontend\n';
    for (let round = 0; round < 3; round++) {
      expect(ownedByTeam(parseCodeOwners(security).ownersOf('src/auth/login.ts'), 'security')).toBe(true);
      expect(ownedByTeam(parseCodeOwners(nobody).ownersOf('src/auth/login.ts'), 'security')).toBe(false);
      expect(parseCodeOwners(security).ownersOf('infra/main.tf')).toEqual(['@acme/platform']);
      expect(parseCodeOwners(nobody).ownersOf('infra/main.tf')).toEqual([]);
    }
  });

  it('still answers a text asked again after many others were parsed', () => {
    const first = '/src/ @acme/security\n';
    expect(parseCodeOwners(first).ownersOf('src/a.ts')).toEqual(['@acme/security']);
    for (let i = 0; i < 200; i++) {
      expect(parseCodeOwners(`/src/ @acme/team-${i}\n`).ownersOf('src/a.ts')).toEqual([`@acme/team-${i}`]);
    }
    expect(parseCodeOwners(first).ownersOf('src/a.ts')).toEqual(['@acme/security']);
  });
});
