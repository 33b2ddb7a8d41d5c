import { describe, expect, it } from 'vitest';
import { describeCauses, redactSecrets } from '../../lambdas/redact-secrets.ts';

/** Built at run time, so no credential-shaped string sits in the source. */
const tokenLike = ['gh', 'p_', 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'].join('');
const keyLike = ['-----BEGIN RSA PRIVATE', ' KEY-----\nMIIEow\n-----END RSA PRIVATE', ' KEY-----'].join('');

describe('what the command line prints about an error', () => {
  it('never carries a token, a private key, an authorization header or a configured secret', () => {
    const env = { GITHUB_TOKEN: 'plain-configured-value-42', AWS_SECRET_ACCESS_KEY: 'aws-secret-value-99' };
    const text = [
      `request failed with ${tokenLike}`,
      `headers: {"authorization":"token ${tokenLike}"}`,
      `key: ${keyLike}`,
      'GITHUB_TOKEN was plain-configured-value-42 and the secret aws-secret-value-99',
      'https://x.example/?X-Amz-Signature=abcdef0123&token=zzz',
    ].join('\n');
    const shown = redactSecrets(text, env);
    for (const secret of [
      tokenLike,
      'MIIEow',
      'plain-configured-value-42',
      'aws-secret-value-99',
      'abcdef0123',
      'zzz',
    ]) {
      expect(shown).not.toContain(secret);
    }
    expect(shown).toContain('request failed with [REDACTED]');
  });

  it('shows the chain of causes as names and messages, without stack frames', () => {
    const root = new Error(`connect refused for ${tokenLike}`);
    const error = new Error('cannot reach GitHub', { cause: root });
    const shown = describeCauses(error, {});
    expect(shown).toBe('error: Error: cannot reach GitHub\ncaused by: Error: connect refused for [REDACTED]');
    expect(shown).not.toMatch(/\n\s+at /);
  });
});
