import { InputError } from '../errors.ts';

/** Configuration of a deployed function, read and validated once per cold start. */
export interface FunctionConfig {
  readonly bucket: string;
  readonly table: string;
  readonly org: string;
  readonly githubSecretArn: string | undefined;
  readonly storeUrl: string;
}

export function readFunctionConfig(env: NodeJS.ProcessEnv = process.env): FunctionConfig {
  const missing = ['CM01_BUCKET', 'CM01_TABLE', 'CM01_ORG'].filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new InputError(missing.join(', '), 'missing from the function environment (set by the stack)');
  }
  const bucket = env.CM01_BUCKET as string;
  const table = env.CM01_TABLE as string;
  return {
    bucket,
    table,
    org: env.CM01_ORG as string,
    githubSecretArn: env.CM01_GITHUB_SECRET_ARN || undefined,
    storeUrl: `s3://${bucket}?table=${encodeURIComponent(table)}`,
  };
}
