import { GITHUB_DOT_COM_API_URL, parseGitHubApiUrl } from '../adapters/github/api-url.ts';
import { SIGNING_KEY_ENV } from '../adapters/open-signer.ts';
import { DEFAULT_SETTLE, parseSettleTime, type SettleTime } from '../core/settle.ts';
import { InputError } from '../errors.ts';

/**
 * The environment variables a deployed function is configured by, all set by the stack
 * (lib/evidence-stack.ts) and read here only, once per cold start. The stack builds a
 * function's environment from these names, and a test walks the template to prove that no
 * function receives a variable this module does not read.
 */
export const FUNCTION_ENVIRONMENT = {
  /** The evidence bucket. */
  bucket: 'CM01_BUCKET',
  /** The evidence index table. */
  table: 'CM01_TABLE',
  /** The GitHub organisation collected. */
  org: 'CM01_ORG',
  /** ARN of the Secrets Manager secret holding the GitHub credential (never the credential). */
  githubSecretArn: 'CM01_GITHUB_SECRET_ARN',
  /** GitHub's API base URL: github.com or a GitHub Enterprise Server (`cm01:githubApiUrl`). */
  githubApiUrl: 'CM01_GITHUB_API_URL',
  /** The pack job's signing key, `kms:<key ARN>` (the pack job only). */
  signingKey: SIGNING_KEY_ENV,
  /**
   * The stack's `packSettleTime` as `3T06:00Z` (the pack job only): deployments up to that
   * moment after the month ship its changes, the same moment the schedule runs the pack.
   */
  packSettleTime: 'CM01_PACK_SETTLE_TIME',
} as const;

/** Configuration of a deployed function, read and validated once per cold start. */
export interface FunctionConfig {
  readonly bucket: string;
  readonly table: string;
  readonly org: string;
  /** Absent in functions that do not talk to GitHub. */
  readonly githubSecretArn: string | undefined;
  /** `https://api.github.com` unless the stack names a GitHub Enterprise Server. */
  readonly githubApiUrl: string;
  readonly storeUrl: string;
  /** `kms:<key ARN>` in the pack job; absent elsewhere. */
  readonly signingKey: string | undefined;
  /** When the pack judges a month's deployments up to (the stack's `packSettleTime`); default the 3rd, 06:00 UTC. */
  readonly packSettle: SettleTime;
}

export function readFunctionConfig(env: NodeJS.ProcessEnv = process.env): FunctionConfig {
  const names = FUNCTION_ENVIRONMENT;
  const missing = [names.bucket, names.table, names.org].filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new InputError(missing.join(', '), 'missing from the function environment (set by the stack)');
  }
  const bucket = env[names.bucket] as string;
  const table = env[names.table] as string;
  const apiUrl = env[names.githubApiUrl];
  const settleText = env[names.packSettleTime];
  const packSettle = settleText ? parseSettleTime(settleText) : DEFAULT_SETTLE;
  if (!packSettle) {
    throw new InputError(
      names.packSettleTime,
      `"${settleText}" is not a settle time: <day 1-28>T<hour 00-23>:00Z, e.g. 3T06:00Z`,
    );
  }
  return {
    bucket,
    table,
    org: env[names.org] as string,
    githubSecretArn: env[names.githubSecretArn] || undefined,
    githubApiUrl: apiUrl ? parseGitHubApiUrl(apiUrl, names.githubApiUrl) : GITHUB_DOT_COM_API_URL,
    storeUrl: `s3://${bucket}?table=${encodeURIComponent(table)}`,
    signingKey: env[names.signingKey] || undefined,
    packSettle,
  };
}

let cached: FunctionConfig | undefined;

/** The function's configuration, read from its environment on first use in an execution environment. */
export function functionConfig(): FunctionConfig {
  cached ??= readFunctionConfig();
  return cached;
}
