import { createBetterStackClient } from '../adapters/better-stack/client.ts';
import { createLinearClient } from '../adapters/linear/client.ts';
import { malformedInput } from '../errors.ts';
import type { EnrichmentSources } from '../evidence/source-ports.ts';

export type { EnrichmentSources };

/**
 * Linear and Better Stack for the collection use-cases, configured or not: from credentials
 * (the environment on one machine, Secrets Manager in a function) or from a local emulator
 * serving a world's `linear` / `betterStack` sections. A source without a credential is not
 * configured, and the pack says so; one with a credential that turns out unreachable is a gap.
 */
export interface SourceCredentials {
  readonly linearApiKey?: string | undefined;
  readonly betterStackToken?: string | undefined;
  /** Default `https://api.linear.app/graphql`. */
  readonly linearUrl?: string | undefined;
  /** Default `https://uptime.betterstack.com/api/v2`. */
  readonly betterStackUrl?: string | undefined;
}

/** The environment variables read on one machine (docs/sources.md). */
export const SOURCE_ENV = {
  linearApiKey: 'LINEAR_API_KEY',
  linearUrl: 'LINEAR_API_URL',
  betterStackToken: 'BETTER_STACK_API_TOKEN',
  betterStackUrl: 'BETTER_STACK_API_URL',
} as const;

export function connectSources(credentials: SourceCredentials): EnrichmentSources {
  const linearApiKey = credentials.linearApiKey?.trim();
  const betterStackToken = credentials.betterStackToken?.trim();
  return {
    ...(linearApiKey
      ? {
          linear: createLinearClient({
            apiKey: linearApiKey,
            ...(credentials.linearUrl
              ? { endpoint: endpointFrom(credentials.linearUrl, SOURCE_ENV.linearUrl) }
              : {}),
          }),
        }
      : {}),
    ...(betterStackToken
      ? {
          betterStack: createBetterStackClient({
            token: betterStackToken,
            ...(credentials.betterStackUrl
              ? { baseUrl: endpointFrom(credentials.betterStackUrl, SOURCE_ENV.betterStackUrl) }
              : {}),
          }),
        }
      : {}),
  };
}

/**
 * On one machine: `LINEAR_API_KEY`, `BETTER_STACK_API_TOKEN`, and `LINEAR_API_URL` /
 * `BETTER_STACK_API_URL` (or the command line's `--linear-url` / `--better-stack-url`, which win)
 * to point elsewhere. A URL given for a source without its credential is a usage error: the
 * user meant to configure it.
 */
export function connectSourcesFromEnv(
  env: NodeJS.ProcessEnv,
  urls: { readonly linearUrl?: string | undefined; readonly betterStackUrl?: string | undefined } = {},
): EnrichmentSources {
  if (urls.linearUrl !== undefined && !env[SOURCE_ENV.linearApiKey]?.trim()) {
    throw malformedInput('--linear-url', `Linear needs its API key in ${SOURCE_ENV.linearApiKey}`);
  }
  if (urls.betterStackUrl !== undefined && !env[SOURCE_ENV.betterStackToken]?.trim()) {
    throw malformedInput(
      '--better-stack-url',
      `Better Stack needs its Uptime API token in ${SOURCE_ENV.betterStackToken}`,
    );
  }
  // Checked here so that the error names the option the user typed, not the variable.
  if (urls.linearUrl !== undefined) endpointFrom(urls.linearUrl, '--linear-url');
  if (urls.betterStackUrl !== undefined) endpointFrom(urls.betterStackUrl, '--better-stack-url');
  return connectSources({
    linearApiKey: env[SOURCE_ENV.linearApiKey],
    betterStackToken: env[SOURCE_ENV.betterStackToken],
    linearUrl: urls.linearUrl ?? env[SOURCE_ENV.linearUrl],
    betterStackUrl: urls.betterStackUrl ?? env[SOURCE_ENV.betterStackUrl],
  });
}

/** The services a local emulator serves for a world with `linear` / `betterStack` sections. */
export function connectEmulatedSources(emulated: {
  readonly linear?: { readonly endpoint: string; readonly apiKey: string };
  readonly betterStack?: { readonly baseUrl: string; readonly token: string };
}): EnrichmentSources {
  return connectSources({
    linearApiKey: emulated.linear?.apiKey,
    linearUrl: emulated.linear?.endpoint,
    betterStackToken: emulated.betterStack?.token,
    betterStackUrl: emulated.betterStack?.baseUrl,
  });
}

/** An https:// URL (or a loopback address, for a local emulator or proxy); its field named when not. */
function endpointFrom(value: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch (error: unknown) {
    throw malformedInput(field, `"${value}" is not a URL`, { cause: error });
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw malformedInput(field, 'must be an https:// URL (or http:// on a loopback address)');
  }
  if (url.username || url.password) throw malformedInput(field, 'must not carry a user name or password');
  return value.replace(/\/$/, '');
}
