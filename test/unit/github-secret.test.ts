import { describe, expect, it } from 'vitest';
import { InputError } from '../../lambdas/errors.ts';
import { parseGitHubSecret } from '../../lambdas/runtime/github-secret.ts';

/** Stands for the credential in every refused value: no error may repeat it. */
const SECRET = 'S3cr3tV4lue0fTheT0ken';
const TOKEN = `github_pat_11A${SECRET}`;
const PEM = `-----BEGIN RSA PRIVATE KEY-----\nMIIEow${SECRET}\nIBAAKCAQEA\n-----END RSA PRIVATE KEY-----`;
const APP = { appId: 123, privateKey: PEM, installationId: 456 };

describe('the GitHub secret, in each documented form', () => {
  it('takes the bare token as GitHub shows it (what `put-secret-value --secret-string "$TOKEN"` stores)', () => {
    expect(parseGitHubSecret(TOKEN)).toEqual({ kind: 'token', token: TOKEN });
  });

  it('takes the bare token with the line break a file or `echo` adds', () => {
    expect(parseGitHubSecret(` ${TOKEN}\n`)).toEqual({ kind: 'token', token: TOKEN });
    expect(parseGitHubSecret(`ghp_${SECRET}\r\n`)).toEqual({ kind: 'token', token: `ghp_${SECRET}` });
  });

  it('takes {"token": …}', () => {
    expect(parseGitHubSecret(JSON.stringify({ token: TOKEN }))).toEqual({ kind: 'token', token: TOKEN });
  });

  it('takes a GitHub App: id, private key and installation, as numbers or strings', () => {
    const expected = { kind: 'app', appId: '123', privateKey: PEM, installationId: 456 };
    expect(parseGitHubSecret(JSON.stringify(APP))).toEqual(expected);
    expect(parseGitHubSecret(JSON.stringify({ ...APP, appId: '123', installationId: '456' }))).toEqual(
      expected,
    );
  });

  it('takes the App client id (Iv…) as the App id', () => {
    const parsed = parseGitHubSecret(JSON.stringify({ ...APP, appId: 'Iv23liAbCdEf12345678' }));
    expect(parsed).toMatchObject({ kind: 'app', appId: 'Iv23liAbCdEf12345678' });
  });

  it('takes a private key whose line breaks arrived as "\\n" or CRLF', () => {
    const escaped = JSON.stringify({ ...APP, privateKey: PEM.replaceAll('\n', '\\n') });
    expect(escaped).toContain('\\\\n');
    expect(parseGitHubSecret(escaped)).toMatchObject({ privateKey: PEM });
    const crlf = JSON.stringify({ ...APP, privateKey: `${PEM.replaceAll('\n', '\r\n')}\r\n` });
    expect(parseGitHubSecret(crlf)).toMatchObject({ privateKey: PEM });
  });

  it('takes a PKCS#8 key ("BEGIN PRIVATE KEY")', () => {
    const pkcs8 = PEM.replaceAll('RSA PRIVATE KEY', 'PRIVATE KEY');
    expect(parseGitHubSecret(JSON.stringify({ ...APP, privateKey: pkcs8 }))).toMatchObject({
      privateKey: pkcs8,
    });
  });
});

describe('a malformed GitHub secret', () => {
  it.each<[string, string | undefined, RegExp]>([
    ['no value', undefined, /is empty/],
    ['an empty value', '', /is empty/],
    ['blanks only', ' \n ', /is empty/],
    ['a token with a space inside', `ghp_${SECRET} extra`, /no spaces or line breaks/],
    ['two lines', `ghp_${SECRET}\nghp_${SECRET}`, /no spaces or line breaks/],
    ['a token with characters GitHub never uses', `ghp_${SECRET}ü`, /letters, digits and "_" only/],
    ['a token in shell quotes', `'ghp_${SECRET}'`, /letters, digits and "_" only/],
    ['a private key alone', PEM, /private key alone.*"appId"/],
    ['JSON cut short', `{"token": "${TOKEN}"`, /not valid JSON/],
    ['JSON with single quotes', `{'token': '${TOKEN}'}`, /not valid JSON \(at character 1\)/],
    ['a quoted JSON string', JSON.stringify(TOKEN), /quoted JSON string.*without quotes/],
    ['a JSON array', JSON.stringify([TOKEN]), /not an object/],
    ['an empty object', '{}', /empty object/],
    ['a misspelt key', JSON.stringify({ tokn: TOKEN }), /key "tokn", which is not/],
    ['the token as a key', JSON.stringify({ [TOKEN]: '' }), /an unexpected key/],
    ['a token that is not text', JSON.stringify({ token: 1234 }), /"token" must be a string/],
    ['an empty token', JSON.stringify({ token: '' }), /letters, digits and "_" only/],
    ['a token with a space', JSON.stringify({ token: `ghp ${SECRET}` }), /no spaces/],
    ['both a token and an App', JSON.stringify({ token: TOKEN, ...APP }), /both "token" and "appId"/],
    [
      'an App without its installation',
      JSON.stringify({ appId: 1, privateKey: PEM }),
      /needs "appId", "privateKey", "installationId"; "installationId" missing/,
    ],
    ['an App id that is a name', JSON.stringify({ ...APP, appId: 'my-app' }), /"appId" must be/],
    ['an App id of zero', JSON.stringify({ ...APP, appId: 0 }), /"appId" must be/],
    ['an installation id of zero', JSON.stringify({ ...APP, installationId: 0 }), /"installationId" must be/],
    ['a negative installation id', JSON.stringify({ ...APP, installationId: -4 }), /"installationId"/],
    ['a fractional installation id', JSON.stringify({ ...APP, installationId: 4.5 }), /"installationId"/],
    [
      'an installation id with letters',
      JSON.stringify({ ...APP, installationId: '45a' }),
      /"installationId"/,
    ],
    [
      'a private key that is not PEM',
      JSON.stringify({ ...APP, privateKey: SECRET }),
      /not a PEM private key/,
    ],
    ['a private key cut short', JSON.stringify({ ...APP, privateKey: PEM.slice(0, 60) }), /not a PEM/],
    [
      'a private key as a number',
      JSON.stringify({ ...APP, privateKey: 42 }),
      /"privateKey" must be a string/,
    ],
  ])('refuses %s, saying what is wrong and never repeating the value', (_, text, reason) => {
    let refused: unknown;
    try {
      parseGitHubSecret(text);
    } catch (error: unknown) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(InputError);
    const error = refused as InputError;
    expect(error.name).toBe('InputError');
    expect(error.field).toBe('GitHub secret');
    expect(error.message).toMatch(/^GitHub secret: /);
    expect(error.message).toMatch(reason);
    expect(error.message).not.toContain(SECRET);
    expect(error.cause).toBeUndefined();
  });
});
