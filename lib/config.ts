import { z } from 'zod';
import { GITHUB_DOT_COM_API_URL, parseGitHubApiUrl } from '../lambdas/adapters/github/api-url.ts';
import { InputError } from '../lambdas/errors.ts';

/**
 * Deployment settings, read once from the CDK context (`cdk.json` or `-c key=value`) and
 * validated before any construct is built, so a bad value names its context key instead of
 * surfacing as an obscure CloudFormation failure.
 */
export interface DeploymentConfig {
  /** Name of the deployment (e.g. `production`, `staging`); part of the stack name. */
  readonly stage: string;
  /** GitHub organisation whose changes are collected. */
  readonly org: string;
  /** Object Lock mode of the evidence bucket's default retention. */
  readonly objectLockMode: 'COMPLIANCE' | 'GOVERNANCE';
  /** Default retention of every evidence version, in days. */
  readonly retentionDays: number;
  /**
   * True only for stacks that hold no audit evidence (development, demos). Required for
   * GOVERNANCE mode, which privileged users can bypass.
   */
  readonly nonProduction: boolean;
  /** Complete ARN of an existing GitHub credential secret; the stack creates one when absent. */
  readonly githubSecretArn?: string;
  /**
   * GitHub's API base URL: `https://api.github.com`, or a GitHub Enterprise Server's
   * `https://HOST/api/v3`. Given to every function that talks to GitHub.
   */
  readonly githubApiUrl: string;
  /** Complete ARN of an existing secret `{"apiKey"}` for Linear; absent = Linear not configured. */
  readonly linearSecretArn?: string;
  /** Complete ARN of an existing secret `{"token"}` for Better Stack; absent = not configured. */
  readonly betterStackSecretArn?: string;
  /** Who may assume the auditor role: a 12-digit account id or an IAM principal ARN. */
  readonly auditorPrincipal?: string;
  /** E-mail address subscribed to job-failure alarms. */
  readonly alarmEmail?: string;
  /** Retention of the functions' log groups, in days (at least 365). */
  readonly logRetentionDays: number;
}

/** Every context key the app reads, with the field it fills. */
export const CONTEXT_KEYS = {
  stage: 'cm01:stage',
  org: 'cm01:org',
  objectLockMode: 'cm01:objectLockMode',
  retentionDays: 'cm01:retentionDays',
  nonProduction: 'cm01:nonProduction',
  githubSecretArn: 'cm01:githubSecretArn',
  githubApiUrl: 'cm01:githubApiUrl',
  linearSecretArn: 'cm01:linearSecretArn',
  betterStackSecretArn: 'cm01:betterStackSecretArn',
  auditorPrincipal: 'cm01:auditorPrincipal',
  alarmEmail: 'cm01:alarmEmail',
  logRetentionDays: 'cm01:logRetentionDays',
} as const satisfies Record<keyof DeploymentConfig, string>;

export const DEFAULT_RETENTION_DAYS = 365;
export const DEFAULT_LOG_RETENTION_DAYS = 400;

/** `-c key=value` arrives as a string, `cdk.json` as JSON: accept both spellings of numbers and booleans. */
const integerFromContext = z
  .union([z.number(), z.string().regex(/^\d+$/).transform(Number)])
  .pipe(z.number().int());
const booleanFromContext = z.union([
  z.boolean(),
  z.enum(['true', 'false']).transform((text) => text === 'true'),
]);
const optionalText = z
  .string()
  .trim()
  .transform((text) => (text === '' ? undefined : text))
  .optional();

const secretArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/,
    'the complete secret ARN (ending in the 6-character suffix Secrets Manager adds)',
  );

const fieldSchemas = {
  stage: z
    .string()
    .regex(
      /^[a-z][a-z0-9-]{0,23}$/,
      'lower-case letters, digits and dashes, starting with a letter, ≤ 24 chars',
    ),
  // GitHub login rules: alphanumerics and single dashes, at most 39 characters.
  org: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/, 'a GitHub organisation login'),
  objectLockMode: z.enum(['COMPLIANCE', 'GOVERNANCE']),
  // S3 Object Lock accepts 1..36500 days.
  retentionDays: integerFromContext.pipe(z.number().min(1).max(36_500)),
  nonProduction: booleanFromContext,
  githubSecretArn: optionalText.pipe(secretArn.optional()),
  linearSecretArn: optionalText.pipe(secretArn.optional()),
  betterStackSecretArn: optionalText.pipe(secretArn.optional()),
  githubApiUrl: z.string().transform((text, context) => {
    try {
      return parseGitHubApiUrl(text, CONTEXT_KEYS.githubApiUrl);
    } catch (error: unknown) {
      // The message without the field prefix: the caller names the key.
      const reason =
        error instanceof InputError ? error.message.slice(error.field.length + 2) : String(error);
      context.addIssue({ code: 'custom', message: reason });
      return z.NEVER;
    }
  }),
  auditorPrincipal: optionalText.pipe(
    z
      .string()
      .regex(
        /^(\d{12}|arn:aws[a-z-]*:iam::\d{12}:(root|role\/.+|user\/.+))$/,
        'a 12-digit account id or an IAM ARN',
      )
      .optional(),
  ),
  alarmEmail: optionalText.pipe(z.email().optional()),
  logRetentionDays: integerFromContext.pipe(z.number().min(365, 'at least 365 days (one audit period)')),
} satisfies Record<keyof DeploymentConfig, z.ZodType>;

const defaults: Partial<Record<keyof DeploymentConfig, unknown>> = {
  objectLockMode: 'COMPLIANCE',
  retentionDays: DEFAULT_RETENTION_DAYS,
  nonProduction: false,
  githubApiUrl: GITHUB_DOT_COM_API_URL,
  logRetentionDays: DEFAULT_LOG_RETENTION_DAYS,
};

/**
 * Read and validate the deployment context. `readContext` is `app.node.tryGetContext` in the
 * app and a plain lookup in tests. Throws `InputError` whose field is the bad context key.
 */
export function parseDeploymentContext(readContext: (key: string) => unknown): DeploymentConfig {
  const parsed: Record<string, unknown> = {};
  for (const [field, key] of Object.entries(CONTEXT_KEYS) as [keyof DeploymentConfig, string][]) {
    const raw = readContext(key) ?? defaults[field];
    if (raw === undefined && (field === 'stage' || field === 'org')) {
      throw new InputError(key, `missing; pass it with -c ${key}=… or set it in cdk.json`);
    }
    const result = fieldSchemas[field].safeParse(raw);
    if (!result.success) {
      const reason = result.error.issues.map((issue) => issue.message).join('; ');
      throw new InputError(key, `${describeRaw(raw)} is not valid: ${reason}`, { cause: result.error });
    }
    if (result.data !== undefined) parsed[field] = result.data;
  }
  const config = parsed as unknown as DeploymentConfig;
  if (config.objectLockMode === 'GOVERNANCE' && !config.nonProduction) {
    throw new InputError(
      CONTEXT_KEYS.objectLockMode,
      `GOVERNANCE can be bypassed by privileged users, so it is refused for evidence stacks; set ${CONTEXT_KEYS.nonProduction}=true for a stack that holds no audit evidence, or use COMPLIANCE`,
    );
  }
  return config;
}

/** A context value as shown in an error: a URL's user name and password are left out. */
function describeRaw(raw: unknown): string {
  return JSON.stringify(raw)?.replace(/(\/\/)[^/@\s"]*@/g, '$1…@') ?? String(raw);
}
