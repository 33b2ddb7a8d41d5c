import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import { checkCategories } from '../../../lambdas/core/controls/ci-passed.ts';
import { globMatcher } from '../../../lambdas/core/controls/rule.ts';
import { shippedProfile } from '../../../lambdas/core/shipped-profiles.ts';

// A path the matcher misses is a security or infrastructure change judged without its
// specialist: the fast matcher must say exactly what picomatch says, path for path.
const GLOBS = ['**/auth/**', '**/*.tf', 'lib/**/*.ts', '.github/workflows/**', 'src/[id].ts', 'Dockerfile'];
const PATHS = [
  'src/auth/login.ts',
  'SRC/AUTH/Login.ts',
  'auth/x',
  'src/authz/x.ts',
  'main.tf',
  'modules/vpc/MAIN.TF',
  'main.tf.bak',
  'lib/stack.ts',
  'lib/a/b/stack.ts',
  'lib/stack.js',
  '.github/workflows/deploy.yml',
  '.hidden/auth/secret.ts',
  'src/[id].ts',
  'src/i.ts',
  'Dockerfile',
  'dockerfile',
  'docs/Dockerfile',
  '',
];

describe('globMatcher', () => {
  it('matches every path exactly as picomatch does (dotfiles, any case, literal globs)', () => {
    const reference = picomatch(GLOBS, { dot: true, nocase: true });
    const fast = globMatcher(GLOBS);
    for (const path of PATHS) expect([path, fast(path)]).toEqual([path, reference(path)]);
  });

  it('matches security and infrastructure paths in any case and inside dot folders', () => {
    const matches = globMatcher(GLOBS);
    expect(matches('SRC/AUTH/Login.ts')).toBe(true);
    expect(matches('.hidden/auth/secret.ts')).toBe(true);
    expect(matches('modules/vpc/MAIN.TF')).toBe(true);
    expect(matches('src/[id].ts')).toBe(true);
    expect(matches('src/authz/x.ts')).toBe(false);
    expect(matches('')).toBe(false);
  });

  it('answers a path asked again as the first time, and never with another list’s answer', () => {
    const reference = picomatch(GLOBS, { dot: true, nocase: true });
    const fast = globMatcher(GLOBS);
    // Asked twice (the second answer is the remembered one), and through a copy of the list.
    for (const path of PATHS) expect([path, fast(path)]).toEqual([path, reference(path)]);
    for (const path of PATHS) expect([path, globMatcher([...GLOBS])(path)]).toEqual([path, reference(path)]);
    // A path one list matches is not matched by another list that was asked about it after.
    expect(globMatcher(['**/auth/**'])('src/auth/login.ts')).toBe(true);
    expect(globMatcher(['**/*.tf'])('src/auth/login.ts')).toBe(false);
    expect(globMatcher(['**/*.tf'])('main.tf')).toBe(true);
    expect(globMatcher(['**/auth/**'])('main.tf')).toBe(false);
  });

  it('matches nothing with no globs, and refuses an empty glob as picomatch does', () => {
    expect(globMatcher([])('anything')).toBe(false);
    expect(() => globMatcher(['src/**', ''])).toThrow();
  });
});

describe('checkCategories', () => {
  it('answers the same for a name asked again, per profile', () => {
    const { parameters } = shippedProfile('clerk-cm01').profile;
    const first = checkCategories('integration (shard 3/9)', parameters);
    expect(checkCategories('integration (shard 3/9)', parameters)).toEqual(first);
    expect(first).toContain('integration');
    expect(checkCategories('scala-compile', parameters)).not.toContain('sca');
  });
});
