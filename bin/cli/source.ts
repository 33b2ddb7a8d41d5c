import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TOKEN, startEmulator } from '../../emulator/server.ts';
import { loadWorld } from '../../emulator/world.ts';
import { connectGitHub, type GitHubClient, type GitHubWait } from '../../lambdas/app/connect-github.ts';
import {
  connectEmulatedSources,
  connectSourcesFromEnv,
  type EnrichmentSources,
} from '../../lambdas/app/connect-sources.ts';
import { InputError } from '../../lambdas/errors.ts';
import { asUsage, UsageError } from './options.ts';

/** The bundled demo organisation, used by `cm01 run` when no source is named. */
export const DEMO_WORLD = fileURLToPath(new URL('../../emulator/worlds/demo.world.json', import.meta.url));

/** Where changes are collected from: github.com (or GHES), or the local emulator on a world file. */
export interface Source {
  readonly org: string;
  /** The source's clock: the world's `now` for the emulator, the wall clock for GitHub. */
  readonly now: Date;
  readonly github: GitHubClient;
  /** e.g. `GitHub emulator on demo.world.json (acme)` or `https://api.github.com (acme)`. */
  readonly description: string;
  /** Linear and Better Stack, where configured (a world's sections, or the environment); absent = not configured. */
  readonly sources: EnrichmentSources;
  close(): Promise<void>;
}

export interface SourceOptions {
  readonly world?: string;
  readonly org?: string;
  /** Use the bundled demo organisation when no source is named (`cm01 run`). */
  readonly demoByDefault: boolean;
  /** Linear's GraphQL endpoint (`--linear-url`); the key is always `LINEAR_API_KEY`. */
  readonly linearUrl?: string | undefined;
  /** Better Stack's Uptime API base (`--better-stack-url`); the token is always `BETTER_STACK_API_TOKEN`. */
  readonly betterStackUrl?: string | undefined;
  readonly onRetry?: (text: string) => void;
  /** Each wait for a GitHub rate limit (the command line counts it down). */
  readonly onWait?: (wait: GitHubWait) => void;
}

export async function openSource(
  options: SourceOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Source> {
  if (options.world !== undefined && options.org !== undefined) {
    throw new UsageError('--github-world', 'give either --github-world or --org, not both');
  }
  if (options.org !== undefined && !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(options.org))
    throw new UsageError('--org', `"${options.org}" is not a GitHub organisation name`);
  const worldFile =
    options.world ?? (options.org === undefined && options.demoByDefault ? DEMO_WORLD : undefined);
  if (worldFile !== undefined) {
    if (options.linearUrl !== undefined || options.betterStackUrl !== undefined) {
      throw new UsageError(
        options.linearUrl !== undefined ? '--linear-url' : '--better-stack-url',
        "a world file's own linear and betterStack sections are its Linear and Better Stack; give this with --org",
      );
    }
    return openEmulatorSource(worldFile, options.world === undefined, options.onWait);
  }
  if (options.org === undefined) {
    throw new UsageError(
      'source',
      'name where to collect from: --github-world FILE, or --org ORG with GITHUB_TOKEN',
    );
  }
  const baseUrl = (env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/$/, '');
  // Checked before GitHub is asked anything: a bad source URL is a usage error.
  const sources = asUsage(() =>
    connectSourcesFromEnv(env, { linearUrl: options.linearUrl, betterStackUrl: options.betterStackUrl }),
  );
  const github = await connectGitHub({
    baseUrl,
    env,
    ...(options.onWait ? { onWait: options.onWait } : {}),
  });
  return {
    org: options.org,
    now: new Date(),
    github,
    description: `${baseUrl} (${options.org})`,
    sources,
    close: async () => {},
  };
}

async function openEmulatorSource(
  file: string,
  isDemo: boolean,
  onWait: SourceOptions['onWait'],
): Promise<Source> {
  if (!existsSync(file)) throw new InputError('--github-world', `no such file: ${file}`);
  const world = await loadWorld(file);
  const emulator = await startEmulator({ world, port: 0 });
  const github = await connectGitHub({
    baseUrl: emulator.url,
    token: DEFAULT_TOKEN,
    ...(onWait ? { onWait } : {}),
  });
  return {
    org: world.org,
    now: new Date(world.now),
    github,
    description: `${isDemo ? 'bundled demo organisation' : file} (${world.org}) on the local GitHub emulator`,
    // A world's `linear` / `betterStack` section is collected from the emulated service as is. A
    // world is self-contained: credentials in the environment never send it to the real services.
    sources: connectEmulatedSources(emulator),
    close: () => emulator.close(),
  };
}

/** A token (`GITHUB_TOKEN`) or a GitHub App, read and checked where the runtime can use it too. */
export { githubAuthFromEnv } from '../../lambdas/app/connect-github.ts';
