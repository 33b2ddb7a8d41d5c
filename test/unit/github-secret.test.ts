import { describe, expect, it } from 'vitest';
import { InputError } from '../../lambdas/errors.ts';
import { parseGitHubSecret } from '../../lambdas/runtime/github-secret.ts';

describe('the GitHub secret', () => {
  it('holds a token', () => {
    expect(parseGitHubSecret('{"token":"t0ken-value"}')).toEqual({ kind: 'token', token: 't0ken-value' });
  });

  it('holds a GitHub App key and installation', () => {
    expect(parseGitHubSecret('{"appId":123,"privateKey":"-----BEGIN…","installationId":"456"}')).toEqual({
      kind: 'app',
      appId: '123',
      privateKey: '-----BEGIN…',
      installationId: 456,
    });
  });

  it.each([['plain-token-not-json'], ['{"tokn":"plain-token-not-json"}'], [undefined]])(
    'refuses %j without echoing the secret',
    (text) => {
      try {
        parseGitHubSecret(text);
        expect.unreachable('the secret should have been refused');
      } catch (error) {
        expect(error).toBeInstanceOf(InputError);
        expect((error as Error).message).toMatch(/^GitHub secret: /);
        expect((error as Error).message).not.toContain('plain-token-not-json');
      }
    },
  );
});
