import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { connectSources, SOURCE_ENV } from '../app/connect-sources.ts';
import { InputError } from '../errors.ts';
import type { EnrichmentSources } from '../evidence/source-ports.ts';

/**
 * Linear and Better Stack in a deployed function: from Secrets Manager, whose ARNs the stack
 * passes as `CM01_LINEAR_SECRET_ARN` / `CM01_BETTER_STACK_SECRET_ARN` (the credentials
 * themselves are never in a function's environment). Absent = not configured; the pack says so.
 * On one machine the environment is read instead (`app/connect-sources.ts`).
 */

export const LINEAR_SECRET_ENV = 'CM01_LINEAR_SECRET_ARN';
export const BETTER_STACK_SECRET_ENV = 'CM01_BETTER_STACK_SECRET_ARN';

const linearSecretSchema = z.object({ apiKey: z.string().min(1) });
const betterStackSecretSchema = z.object({ token: z.string().min(1) });

/** The secrets' texts as credentials; errors name the secret, never echo its value. */
export function parseLinearSecret(text: string | undefined): string {
  return (
    bareCredential(text) ??
    parseSecret(text, linearSecretSchema, 'Linear secret', '{"apiKey":"lin_api_…"}').apiKey
  );
}

export function parseBetterStackSecret(text: string | undefined): string {
  return (
    bareCredential(text) ??
    parseSecret(text, betterStackSecretSchema, 'Better Stack secret', '{"token":"…"}').token
  );
}

/** As for the GitHub secret, the credential alone (one word, not JSON) is accepted too. */
function bareCredential(text: string | undefined): string | undefined {
  const trimmed = text?.trim() ?? '';
  return /^[A-Za-z0-9_.~+/=-]+$/.test(trimmed) && !/^[0-9]+$/.test(trimmed) ? trimmed : undefined;
}

/** In a deployed function: the secrets named by the stack, read once per cold start. */
export async function loadEnrichmentSources(
  env: NodeJS.ProcessEnv = process.env,
): Promise<EnrichmentSources> {
  const linearArn = env[LINEAR_SECRET_ENV];
  const betterStackArn = env[BETTER_STACK_SECRET_ENV];
  if (!linearArn && !betterStackArn) return {};
  const client = new SecretsManagerClient({});
  const read = async (arn: string) =>
    (await client.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString;
  const [linearText, betterStackText] = await Promise.all([
    linearArn ? read(linearArn) : undefined,
    betterStackArn ? read(betterStackArn) : undefined,
  ]);
  return connectSources({
    linearApiKey: linearArn ? parseLinearSecret(linearText) : undefined,
    betterStackToken: betterStackArn ? parseBetterStackSecret(betterStackText) : undefined,
    linearUrl: env[SOURCE_ENV.linearUrl],
    betterStackUrl: env[SOURCE_ENV.betterStackUrl],
  });
}

function parseSecret<T>(text: string | undefined, schema: z.ZodType<T>, name: string, shape: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text ?? '');
  } catch {
    throw new InputError(name, `is not JSON: store ${shape}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new InputError(name, `must hold ${shape}`);
  return parsed.data;
}
