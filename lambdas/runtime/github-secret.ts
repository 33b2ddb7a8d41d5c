import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import type { GitHubAuth } from '../adapters/github/client.ts';
import { InputError } from '../errors.ts';

/**
 * The GitHub credential, fetched from Secrets Manager once per cold start and kept in memory
 * only: never logged, never in the function's environment.
 */
const secretSchema = z.union([
  z.object({ token: z.string().min(1) }),
  z.object({
    appId: z.union([z.string(), z.number()]).transform(String),
    privateKey: z.string().min(1),
    installationId: z.union([z.string(), z.number()]).transform(Number),
  }),
]);

export type GitHubCredential = GitHubAuth;

export async function loadGitHubCredential(secretArn: string | undefined): Promise<GitHubCredential> {
  if (!secretArn) throw new InputError('CM01_GITHUB_SECRET_ARN', 'missing from the function environment');
  const client = new SecretsManagerClient({});
  const answer = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  return parseGitHubSecret(answer.SecretString);
}

/** The secret's text as a credential; errors never echo it, since it may be the token itself. */
export function parseGitHubSecret(secretString: string | undefined): GitHubCredential {
  let json: unknown;
  try {
    json = JSON.parse(secretString ?? '');
  } catch {
    throw new InputError(
      'GitHub secret',
      'is not JSON: store {"token":"…"} or {"appId","privateKey","installationId"}',
    );
  }
  const parsed = secretSchema.safeParse(json);
  if (!parsed.success) {
    throw new InputError('GitHub secret', 'must hold {"token"} or {"appId","privateKey","installationId"}');
  }
  return 'token' in parsed.data
    ? { kind: 'token', token: parsed.data.token }
    : { kind: 'app', ...parsed.data };
}
