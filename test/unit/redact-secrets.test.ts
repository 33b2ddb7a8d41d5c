import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeCauses, redactSecrets } from '../../lambdas/redact-secrets.ts';

/**
 * What `CM01_DEBUG` prints passes through the redactor. Credential-shaped values are built at run
 * time, so no literal in the source looks like a real token.
 */
const fakeGitHubToken = () => `${'gh'}p_${randomBytes(18).toString('hex')}`;
const fakeFineGrainedToken = () => `github${'_pat_'}${randomBytes(30).toString('hex')}`;

describe('redactSecrets', () => {
  it('hides the value of a credential variable of the environment, wherever it appears', () => {
    const token = randomBytes(20).toString('base64url');
    const text = `GET /orgs/acme failed; sent ${token} and ${token.toUpperCase()}`;
    const redacted = redactSecrets(text, { GITHUB_TOKEN: token });
    expect(redacted).not.toContain(token);
    expect(redacted).toContain('[REDACTED]');
  });

  it('hides the values of AWS secrets and other *_SECRET / *_PASSWORD settings', () => {
    const secret = randomBytes(30).toString('base64');
    const password = randomBytes(12).toString('hex');
    const redacted = redactSecrets(`key ${secret} pw ${password}`, {
      AWS_SECRET_ACCESS_KEY: secret,
      DB_PASSWORD: password,
    });
    expect(redacted).not.toContain(secret);
    expect(redacted).not.toContain(password);
  });

  it('hides GitHub tokens by their shape, even when the environment does not hold them', () => {
    const classic = fakeGitHubToken();
    const fineGrained = fakeFineGrainedToken();
    const redacted = redactSecrets(`tokens: ${classic}, ${fineGrained}.`, {});
    expect(redacted).toBe('tokens: [REDACTED], [REDACTED].');
  });

  it('hides a PEM private key, whole or cut short', () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      type: 'pkcs1',
      format: 'pem',
    }) as string;
    const body = pem.split('\n')[3] as string;
    expect(redactSecrets(`key was:\n${pem.trimEnd()}\nthen`, {})).toBe('key was:\n[REDACTED]\nthen');
    expect(redactSecrets(pem.slice(0, 200), {})).not.toContain(body.slice(0, 20));
  });

  it('hides Authorization headers as sent and as an inspected object shows them', () => {
    const credential = randomBytes(16).toString('hex');
    expect(redactSecrets(`Authorization: token ${credential}`, {})).toBe('Authorization: [REDACTED]');
    expect(redactSecrets(`authorization: Bearer ${credential}\n`, {})).not.toContain(credential);
    const inspected = describeCauses({ request: { headers: { authorization: `token ${credential}` } } }, {});
    expect(inspected).not.toContain(credential);
    expect(inspected).toContain('[REDACTED]');
  });

  it('hides a signed JSON Web Token (a GitHub App assertion)', () => {
    const part = () => randomBytes(24).toString('base64url');
    const jwt = `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${part()}.${part()}`;
    expect(redactSecrets(`jwt ${jwt} end`, {})).toBe('jwt [REDACTED] end');
  });

  it('leaves ordinary text alone', () => {
    const text = 'collection failed: acme/web-app pull requests: GitHub answered 502 (Bad Gateway)';
    expect(redactSecrets(text, { GITHUB_TOKEN: randomBytes(20).toString('hex'), SHORT_TOKEN: 'abc' })).toBe(
      text,
    );
  });

  it('hides a cause’s nested causes and its stack frames’ messages too', () => {
    const token = fakeGitHubToken();
    const inner = new Error(`request with ${token} refused`);
    const outer = new Error('collection failed', { cause: inner });
    expect(describeCauses(outer, {})).not.toContain(token);
  });
});
