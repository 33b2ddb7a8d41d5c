import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { GitHubAuth } from '../adapters/github/client.ts';
import { Cm01Error, describeError, InputError } from '../errors.ts';
import { FUNCTION_ENVIRONMENT } from './config.ts';

/**
 * The GitHub credential, fetched from Secrets Manager once per cold start and kept in memory
 * only: never logged, never in the function's environment.
 *
 * The secret's value takes one of three forms (docs/deploy.md):
 * - the bare token, exactly as GitHub shows it (`github_pat_…`, `ghp_…`);
 * - `{"token": "…"}`;
 * - `{"appId": …, "privateKey": "-----BEGIN … PRIVATE KEY-----…", "installationId": …}`.
 *
 * Every refusal names what is wrong and never repeats the value: it may be the token itself.
 */

export type GitHubCredential = GitHubAuth;

/** Secrets Manager did not hand the secret out (permissions, its key, or the service itself). */
export class CredentialReadError extends Cm01Error {
  override name = 'CredentialReadError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('CREDENTIAL', message, options);
  }
}

/** The field errors name: the setting an operator fixes. */
const FIELD = 'GitHub secret';
const FORMS = 'store the bare token, {"token":"…"}, or {"appId":…,"privateKey":"…","installationId":…}';
const TOKEN_KEYS = ['token'] as const;
const APP_KEYS = ['appId', 'privateKey', 'installationId'] as const;

export async function loadGitHubCredential(secretArn: string | undefined): Promise<GitHubCredential> {
  if (!secretArn) {
    throw new InputError(FUNCTION_ENVIRONMENT.githubSecretArn, 'missing from the function environment');
  }
  const client = new SecretsManagerClient({});
  let secretString: string | undefined;
  try {
    const answer = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    secretString = answer.SecretString;
  } catch (error: unknown) {
    throw secretReadError(secretArn, error);
  } finally {
    client.destroy();
  }
  return parseGitHubSecret(secretString);
}

/** Why the secret could not be read, with what to do; Secrets Manager's messages hold no value. */
function secretReadError(secretArn: string, error: unknown): Error {
  const name = error instanceof Error ? error.name : undefined;
  if (name === 'ResourceNotFoundException') {
    // A secret the stack created has no value until the operator stores one.
    return new InputError(
      FIELD,
      `${secretArn} has no value yet: ${FORMS} (aws secretsmanager put-secret-value --secret-id … --secret-string …)`,
      { cause: error },
    );
  }
  return new CredentialReadError(
    `cannot read the GitHub secret ${secretArn}: ${name ?? 'error'}: ${describeError(error)}`,
    { cause: error },
  );
}

/** The secret's text as a credential. */
export function parseGitHubSecret(secretString: string | undefined): GitHubCredential {
  const text = (secretString ?? '').trim();
  if (text === '') {
    throw new InputError(FIELD, `is empty (or binary): ${FORMS}`);
  }
  if (/^[{["]/.test(text)) return parseJsonSecret(text);
  return { kind: 'token', token: bareToken(text) };
}

function bareToken(text: string): string {
  if (text.includes('-----BEGIN')) {
    throw new InputError(
      FIELD,
      'holds a private key alone: a GitHub App also needs its id and installation, {"appId":…,"privateKey":"…","installationId":…}',
    );
  }
  if (/\s/.test(text)) {
    throw new InputError(FIELD, `a bare token has no spaces or line breaks: ${FORMS}`);
  }
  // GitHub tokens are ASCII letters, digits and "_"; anything else is a paste gone wrong.
  if (!/^[A-Za-z0-9_]+$/.test(text)) {
    throw new InputError(FIELD, 'a bare token is letters, digits and "_" only (as GitHub shows it)');
  }
  return text;
}

function parseJsonSecret(text: string): GitHubCredential {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error: unknown) {
    // The parser's own message quotes the text, so only the position is kept.
    const position = /position (\d+)/.exec(describeError(error))?.[1];
    throw new InputError(
      FIELD,
      `starts like JSON but is not valid JSON${position ? ` (at character ${position})` : ''}: ${FORMS}`,
    );
  }
  if (typeof json === 'string') {
    throw new InputError(
      FIELD,
      'is a quoted JSON string: store the bare token without quotes, or {"token":"…"}',
    );
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new InputError(FIELD, `is JSON but not an object: ${FORMS}`);
  }
  const object = json as Record<string, unknown>;
  const keys = Object.keys(object);
  const known = new Set<string>([...TOKEN_KEYS, ...APP_KEYS]);
  const unknown = keys.filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new InputError(
      FIELD,
      `has ${describeKeys(unknown)}, which is not a GitHub credential key: ${FORMS}`,
    );
  }
  const hasToken = 'token' in object;
  const appKeys = APP_KEYS.filter((key) => key in object);
  if (hasToken && appKeys.length > 0) {
    throw new InputError(FIELD, `has both "token" and ${quoteAll(appKeys)}: keep one credential`);
  }
  if (hasToken) {
    if (typeof object.token !== 'string') throw new InputError(FIELD, '"token" must be a string');
    return { kind: 'token', token: bareToken(object.token.trim()) };
  }
  const missing = APP_KEYS.filter((key) => !(key in object));
  if (appKeys.length === 0) throw new InputError(FIELD, `is an empty object: ${FORMS}`);
  if (missing.length > 0) {
    throw new InputError(FIELD, `a GitHub App needs ${quoteAll(APP_KEYS)}; ${quoteAll(missing)} missing`);
  }
  return {
    kind: 'app',
    appId: appIdOf(object.appId),
    privateKey: privateKeyOf(object.privateKey),
    installationId: installationIdOf(object.installationId),
  };
}

/** The App's numeric id, or its client id (`Iv1.…`, `Iv23…`), which GitHub also accepts as a JWT issuer. */
function appIdOf(value: unknown): string {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (/^[1-9]\d*$/.test(text) || /^Iv[A-Za-z0-9.]+$/.test(text)) return text;
  throw new InputError(FIELD, '"appId" must be the App\'s numeric id (or its client id, Iv…)');
}

function installationIdOf(value: unknown): number {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const id = /^[1-9]\d*$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isSafeInteger(id)) return id;
  throw new InputError(FIELD, '"installationId" must be a positive whole number');
}

function privateKeyOf(value: unknown): string {
  if (typeof value !== 'string')
    throw new InputError(FIELD, '"privateKey" must be a string (the .pem file\'s text)');
  // A key pasted through a shell or a console often arrives with its line breaks as the two
  // characters "\n"; GitHub's .pem is otherwise unchanged, so they are turned back into breaks.
  const unescaped = value.includes('\n') ? value : value.replaceAll('\\n', '\n');
  const key = unescaped.replaceAll('\r\n', '\n').trim();
  if (!/^-----BEGIN (RSA )?PRIVATE KEY-----\n[\s\S]+\n-----END (RSA )?PRIVATE KEY-----$/.test(key)) {
    throw new InputError(
      FIELD,
      '"privateKey" is not a PEM private key: paste the whole .pem GitHub gave, from -----BEGIN to -----END, line breaks as \\n',
    );
  }
  return key;
}

/** Key names are shown only when short and plain: a value pasted as a key must not be echoed. */
function describeKeys(keys: readonly string[]): string {
  const plain = keys.filter(
    (key) => /^[A-Za-z][A-Za-z0-9_]{0,23}$/.test(key) && !/^(gh[a-z]_|github_pat)/i.test(key),
  );
  if (plain.length === keys.length) return `key ${quoteAll(plain)}`;
  return keys.length === 1 ? 'an unexpected key' : 'unexpected keys';
}

function quoteAll(keys: readonly string[]): string {
  return keys.map((key) => `"${key}"`).join(', ');
}
