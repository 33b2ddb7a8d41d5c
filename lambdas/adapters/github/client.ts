import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/core';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck';
import { z } from 'zod';
import { SourceError } from '../../errors.ts';
import { TOOL_ID } from '../../version.ts';

/**
 * The one way the collectors talk to GitHub (github.com, GitHub Enterprise, or the local
 * emulator): GraphQL and REST over `@octokit/core`, with GitHub's primary and secondary rate
 * limits honoured (`@octokit/plugin-throttling`), transient 5xx retried (`@octokit/plugin-retry`),
 * conditional GETs answered from a per-client ETag cache, and running cost totals that the
 * collectors copy into each snapshot's provenance. The credential never appears in a log line
 * or an error message.
 */

export type GitHubAuth =
  | { readonly kind: 'token'; readonly token: string }
  | {
      readonly kind: 'app';
      readonly appId: string;
      readonly privateKey: string;
      readonly installationId: number;
    };

/**
 * One rate-limit bucket as GitHub last reported it in its `x-ratelimit-*` headers (or
 * `GET /rate_limit`): the limit is read, never assumed, because a GitHub App installation's is
 * higher than a user's (and grows with the organisation) and GitHub Enterprise Server's is set
 * by its administrator.
 */
export interface RateBudget {
  /** `core` (REST), `graphql`, `search`, … as `x-ratelimit-resource` names it. */
  readonly resource: string;
  readonly limit: number;
  readonly remaining: number;
  readonly used: number;
  /** When the window resets (ISO-8601 UTC, from `x-ratelimit-reset`). */
  readonly resetAt: string;
}

/** What the client tells its caller while it waits or retries (never the credential). */
export type GitHubClientEvent =
  | {
      readonly type: 'rate-limit' | 'secondary-limit';
      readonly method: string;
      readonly url: string;
      readonly retryAfterSeconds: number;
      readonly retryCount: number;
      readonly willRetry: boolean;
      /** The bucket that ran out, as its headers said (primary limits). */
      readonly budget?: RateBudget;
    }
  | { readonly type: 'retry'; readonly method: string; readonly url: string; readonly status: number };

export interface GitHubClientOptions {
  /** `https://api.github.com`, a GHES `https://host/api/v3`, or the emulator's `http://127.0.0.1:<port>`. */
  readonly baseUrl: string;
  readonly auth: GitHubAuth;
  /** Bounded retries for 5xx and for rate limits (each). Default 3. */
  readonly retries?: number;
  readonly onProgress?: (event: GitHubClientEvent) => void;
  /**
   * Milliseconds per second of `retry-after` and of plugin-retry's back-off. GitHub's value is
   * 1,000; tests against the emulator pass less so that faults still run through the real code.
   */
  readonly retryAfterBaseMs?: number;
  /**
   * Minimum milliseconds between two GraphQL requests. GitHub asks integrators not to fire
   * GraphQL requests concurrently (secondary limits), so the default against github.com is
   * 1,000 (plugin-throttling's own pacing); against any other base URL (the emulator) it is 0.
   */
  readonly graphqlMinIntervalMs?: number;
  /** Overrides `globalThis.fetch` (e.g. to count or observe traffic in a benchmark). */
  readonly fetch?: typeof fetch;
  /**
   * Whether to wait, inside this process, for a primary rate limit to reset (default true: the
   * command line waits and shows a countdown). A Lambda function passes false: it must not
   * spend its fifteen minutes asleep, so the request fails at once with
   * `GitHubBudgetExhaustedError` naming the reset time, and Step Functions does the waiting.
   * Secondary limits (a `retry-after` of seconds to a minute) are waited for either way.
   */
  readonly waitForRateLimitReset?: boolean;
}

export interface GitHubResponse<T> {
  readonly data: T;
  readonly status: number;
  readonly headers: Readonly<Record<string, string | number | undefined>>;
}

export interface GitHubCost {
  /** HTTP requests that counted against the limit (a 304 to a conditional GET does not). */
  readonly requests: number;
  /** Sum of `rateLimit.cost` over every GraphQL query that asked for it. */
  readonly graphqlPoints: number;
  /** Of `requests`, those to the REST API: what GitHub's `core` bucket counts. */
  readonly restRequests: number;
  /** Conditional GETs GitHub answered `304 Not Modified` (served from the ETag cache). */
  readonly notModified: number;
}

/** A REST answer kept for a conditional request: its validator and what it said. */
export interface CachedRestResponse {
  readonly etag: string;
  readonly status: number;
  readonly data: unknown;
  /** The headers a reader needs again (`link` for the next page); rate-limit figures come fresh from the 304. */
  readonly headers: Readonly<Record<string, string | number | undefined>>;
  readonly url: string;
}

/**
 * Where ETags and the answers they validate are kept. The client keeps its own in memory; a
 * collection run may lend it a persistent one (see lambdas/collect/etag-cache.ts), so that the
 * next run — a new process, another Lambda — asks conditionally too and GitHub's 304s are free.
 */
export interface ConditionalCache {
  get(url: string): Promise<CachedRestResponse | undefined>;
  set(url: string, entry: CachedRestResponse): void;
}

export interface GitHubClient {
  readonly baseUrl: string;
  /**
   * Use `cache` for conditional requests from now on (undefined: back to the client's own, in
   * memory); returns the one used before.
   */
  useConditionalCache?(cache: ConditionalCache | undefined): ConditionalCache | undefined;
  /** `login` of the token's user, or `app/<slug>` for a GitHub App installation; cached. */
  identity(): Promise<string>;
  graphql<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  rest<T>(route: string, params?: Record<string, unknown>): Promise<GitHubResponse<T>>;
  /**
   * Every item of a paged REST list, following the `Link: rel="next"` header (page numbers or
   * `after=` cursors alike). A response that wraps its list (`{ total_count, jobs: [...] }`) is
   * unwrapped through `itemsKey`, or its only array member.
   */
  paginate<T>(
    route: string,
    params?: Record<string, unknown>,
    options?: { itemsKey?: string; maxPages?: number },
  ): Promise<T[]>;
  /** Running totals since the client was created. */
  readonly cost: GitHubCost;
  /** The budget of a rate-limit bucket as the latest response's headers reported it. */
  budget(resource: 'core' | 'graphql'): RateBudget | undefined;
  /**
   * Both buckets as GitHub reports them now (`GET /rate_limit`, which GitHub does not count
   * against the limit); also remembered as the latest `budget`.
   */
  readBudget(): Promise<{ readonly core: RateBudget; readonly graphql: RateBudget }>;
}

/** GitHub refused the credential (bad, revoked or expired). */
export class GitHubAuthError extends SourceError {
  override name = 'GitHubAuthError';
}
/** The repository, team, branch or object does not exist (or the credential cannot see it). */
export class GitHubNotFoundError extends SourceError {
  override name = 'GitHubNotFoundError';
}
/** 403 that is not a rate limit: a plan without the feature, or a missing permission. Collectors record a gap. */
export class GitHubForbiddenError extends SourceError {
  override name = 'GitHubForbiddenError';
}
/** A primary or secondary rate limit outlasted the bounded retries. */
export class GitHubRateLimitError extends SourceError {
  override name = 'GitHubRateLimitError';
  /** Seconds until GitHub said the limit resets, where it said. */
  readonly retryAfterSeconds: number | undefined;
  constructor(message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, options);
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}
/**
 * A primary rate limit ran out and the client was told not to wait for its reset
 * (`waitForRateLimitReset: false`): the caller ends its unit of work and resumes at `resetAt`.
 */
export class GitHubBudgetExhaustedError extends GitHubRateLimitError {
  override name = 'GitHubBudgetExhaustedError';
  /** The bucket that ran out, as GitHub's headers reported it. */
  readonly budget: RateBudget;
  constructor(message: string, budget: RateBudget, options?: { cause?: unknown }) {
    super(message, {
      ...options,
      retryAfterSeconds: Math.max(0, Math.ceil((Date.parse(budget.resetAt) - Date.now()) / 1000)),
    });
    this.budget = budget;
  }
}
/** A GraphQL query GitHub rejected (a schema error, a field it will not serve). */
export class GitHubQueryError extends SourceError {
  override name = 'GitHubQueryError';
}
/**
 * GitHub gave up on the request in time (it stops one after 10 seconds): a 502 or 504 still there
 * after the retries, or a GraphQL error that says so. A smaller page of the same query may pass.
 */
export class GitHubTimeoutError extends SourceError {
  override name = 'GitHubTimeoutError';
}

/** How GitHub words a request it stopped for taking too long (REST, GraphQL). */
const TIMEOUT_MESSAGE = /couldn't respond to your request in time|may be the result of a timeout/i;

const ThrottledOctokit = Octokit.plugin(throttling, retry);
type ThrottledOctokitInstance = InstanceType<typeof ThrottledOctokit>;

interface RequestOptionsLike {
  method?: string;
  url?: string;
  headers?: Record<string, string | number | undefined>;
  [key: string]: unknown;
}

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const retries = options.retries ?? 3;
  const retryAfterBaseMs = options.retryAfterBaseMs ?? 1000;
  const isGitHubDotCom = /^https:\/\/api\.github\.com$/i.test(baseUrl);
  const graphqlMinIntervalMs = options.graphqlMinIntervalMs ?? (isGitHubDotCom ? 1000 : 0);
  const baseFetch = options.fetch ?? globalThis.fetch;
  const totals = { requests: 0, graphqlPoints: 0, notModified: 0, restRequests: 0 };
  const notify = options.onProgress ?? (() => {});
  const waitForReset = options.waitForRateLimitReset ?? true;
  const budgets = new Map<string, RateBudget>();

  const countingFetch: typeof fetch = async (input, init) => {
    const response = await baseFetch(input, init);
    if (response.status === 304) totals.notModified += 1;
    else {
      totals.requests += 1;
      if (resourceOfUrl(response.url || requestUrlOf(input)) === 'core') totals.restRequests += 1;
    }
    const budget = budgetOfHeaders((name) => response.headers.get(name) ?? undefined);
    if (budget) budgets.set(budget.resource, budget);
    // plugin-retry will try a 5xx again; say so here, where method and URL are at hand.
    if (response.status >= 500) {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      notify({ type: 'retry', method: init?.method ?? 'GET', url, status: response.status });
    }
    return response;
  };

  const limitHandler =
    (type: 'rate-limit' | 'secondary-limit') =>
    (
      retryAfter: number,
      requestOptions: { method: string; url: string },
      _octokit: unknown,
      retryCount: number,
    ) => {
      const budget = type === 'rate-limit' ? budgets.get(resourceOfUrl(requestOptions.url)) : undefined;
      // Without waiting for the reset, a primary limit ends the request (GitHubBudgetExhaustedError).
      const willRetry = retryCount < retries && (type === 'secondary-limit' || waitForReset);
      notify({
        type,
        method: requestOptions.method,
        url: requestOptions.url,
        retryAfterSeconds: retryAfter,
        retryCount,
        willRetry,
        ...(budget ? { budget } : {}),
      });
      return willRetry;
    };

  // An App signs in through its own request hook (`signInAsApp`), not an auth strategy.
  const authOptions = options.auth.kind === 'token' ? { auth: options.auth.token } : {};

  const octokit: ThrottledOctokitInstance = new ThrottledOctokit({
    ...authOptions,
    baseUrl,
    userAgent: TOOL_ID,
    request: { fetch: countingFetch },
    retry: { retries, retryAfterBaseValue: retryAfterBaseMs },
    throttle: {
      // A group per client, so one client's pacing does not slow another (tests, fan-out).
      id: `cm01-${Math.random().toString(36).slice(2)}`,
      retryAfterBaseValue: retryAfterBaseMs,
      fallbackSecondaryRateRetryAfter: 60,
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: graphqlMinIntervalMs }),
      onRateLimit: limitHandler('rate-limit'),
      onSecondaryRateLimit: limitHandler('secondary-limit'),
    },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });

  if (options.auth.kind === 'app') signInAsApp(octokit, options.auth, baseUrl);

  // Conditional requests: GitHub answers 304 (free of charge) when the ETag still matches.
  const ownCache = memoryConditionalCache();
  let etagCache: ConditionalCache = ownCache;
  octokit.hook.wrap('request', async (request, requestOptions: RequestOptionsLike) => {
    const method = String(requestOptions.method ?? 'GET').toUpperCase();
    if (method !== 'GET') return request(requestOptions as never);
    const parsed = octokit.request.endpoint.parse(requestOptions as never);
    // The budget is read fresh, never from a cached body.
    if (/\/rate_limit$/.test(new URL(parsed.url).pathname)) return request(requestOptions as never);
    const cacheKey = parsed.url;
    const cache = etagCache;
    const cached = await cache.get(cacheKey);
    if (cached) {
      requestOptions.headers = { ...(requestOptions.headers ?? {}), 'if-none-match': cached.etag };
    }
    try {
      const response = await request(requestOptions as never);
      const etag = response.headers.etag;
      if (typeof etag === 'string') {
        cache.set(cacheKey, {
          etag,
          data: response.data,
          status: response.status,
          headers: { link: response.headers.link },
          url: response.url,
        });
      }
      return response;
    } catch (error) {
      // The cached body, with the 304's own headers: its rate-limit figures are the current ones.
      if (cached && statusOf(error) === 304) {
        cache.set(cacheKey, cached);
        return {
          data: cached.data,
          status: cached.status,
          url: cached.url,
          headers: { ...cached.headers, ...headersOf(error) },
        };
      }
      throw error;
    }
  });

  /**
   * A primary limit the client did not wait for becomes GitHubBudgetExhaustedError, carrying the
   * bucket as its headers reported it; a secondary limit (which says nothing of the budget) stays
   * GitHubRateLimitError.
   */
  const exhaustedOr = (error: SourceError, resource: 'core' | 'graphql'): SourceError => {
    if (waitForReset || !(error instanceof GitHubRateLimitError) || isSecondaryLimit(error)) return error;
    const budget = budgets.get(resource);
    if (budget === undefined) return error;
    return new GitHubBudgetExhaustedError(
      `GitHub's ${describeBucket(budget)} ran out; it resets at ${budget.resetAt}`,
      budget,
      { cause: error },
    );
  };

  let identityPromise: Promise<string> | undefined;

  const client: GitHubClient = {
    baseUrl,
    useConditionalCache(cache) {
      const before = etagCache === ownCache ? undefined : etagCache;
      etagCache = cache ?? ownCache;
      return before;
    },
    get cost(): GitHubCost {
      return { ...totals };
    },
    budget(resource) {
      return budgets.get(resource);
    },
    async readBudget() {
      const response = await client.rest<{ resources?: Record<string, unknown> }>('GET /rate_limit');
      const read = (resource: 'core' | 'graphql'): RateBudget => {
        const parsed = rateLimitResourceSchema.safeParse(response.data.resources?.[resource]);
        if (!parsed.success)
          throw new SourceError(`GET /rate_limit: GitHub's answer has no valid "resources.${resource}"`);
        const { limit, remaining, used, reset } = parsed.data;
        const budget = { resource, limit, remaining, used, resetAt: isoOfEpochSeconds(reset) };
        budgets.set(resource, budget);
        return budget;
      };
      return { core: read('core'), graphql: read('graphql') };
    },
    identity() {
      identityPromise ??= (async () => {
        if (options.auth.kind === 'app') {
          const app = await client.rest<{ slug: string }>('GET /app');
          return `app/${app.data.slug}`;
        }
        const user = await client.rest<{ login: string }>('GET /user');
        return user.data.login;
      })();
      identityPromise.catch(() => {
        identityPromise = undefined;
      });
      return identityPromise;
    },
    async graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      let data: unknown;
      try {
        data = await octokit.graphql(query, variables);
      } catch (error) {
        throw exhaustedOr(toGitHubError(error, `GraphQL ${operationNameOf(query)}`, options.auth), 'graphql');
      }
      const cost = rateLimitCostOf(data);
      if (cost !== undefined) totals.graphqlPoints += cost;
      return data as T;
    },
    async rest<T>(route: string, params: Record<string, unknown> = {}): Promise<GitHubResponse<T>> {
      try {
        const request = octokit.request as unknown as (
          route: string,
          params: Record<string, unknown>,
        ) => Promise<{ data: unknown; status: number; headers: Record<string, string | number | undefined> }>;
        const response = await request(route, params);
        return {
          data: response.data as T,
          status: response.status,
          headers: response.headers,
        };
      } catch (error) {
        throw exhaustedOr(toGitHubError(error, route, options.auth), 'core');
      }
    },
    async paginate<T>(
      route: string,
      params: Record<string, unknown> = {},
      pageOptions: { itemsKey?: string; maxPages?: number } = {},
    ): Promise<T[]> {
      const items: T[] = [];
      const maxPages = pageOptions.maxPages ?? 10_000;
      let response = await client.rest<unknown>(route, params);
      for (let page = 1; ; page += 1) {
        items.push(...itemsOf<T>(response.data, pageOptions.itemsKey, route));
        const next = nextLink(response.headers.link);
        if (!next || page >= maxPages) break;
        response = await client.rest<unknown>(`GET ${next}`);
      }
      return items;
    },
  };
  return client;
}

/** The client's own cache: this process only. */
function memoryConditionalCache(): ConditionalCache {
  const entries = new Map<string, CachedRestResponse>();
  return {
    get: async (url) => entries.get(url),
    set: (url, entry) => {
      entries.set(url, entry);
    },
  };
}

/** Paths a GitHub App reaches with its JWT (auth-app signs these itself), not an installation token. */
const APP_JWT_PATH =
  /^\/(?:app(?:\/|$)|(?:orgs|users)\/[^/]+\/installation$|repos\/[^/]+\/[^/]+\/installation$)/;
/** Renew this long before `expires_at` at most (GitHub's tokens live an hour). */
const RENEW_AHEAD_MS = 5 * 60_000;
/** GitHub may answer 401 to a token in its first seconds, until the token has replicated. */
const REPLICATION_DELAY_MS = 1_000;

/**
 * Sign in as a GitHub App: the App's own endpoints with a JWT, everything else with an
 * installation token. `@octokit/auth-app` signs the JWT and asks for tokens; which token to
 * use, and when to renew it, is decided here, because an installation token expires (an hour
 * on GitHub) or is revoked before then, and auth-app's own hook keeps a token 59 minutes
 * whatever `expires_at` says and retries a 401 with the same token. So: renew ahead of
 * `expires_at` (a quarter of the token's life, at most five minutes, ahead); on a 401 renew
 * once and ask again (once more after a second, for a new token not yet replicated).
 * Concurrent requests share one renewal.
 */
function signInAsApp(
  octokit: ThrottledOctokitInstance,
  auth: Extract<GitHubAuth, { kind: 'app' }>,
  baseUrl: string,
): void {
  type InstallationToken = { token: string; createdAt: string; expiresAt: string };
  const appAuth = createAppAuth({
    appId: auth.appId,
    privateKey: auth.privateKey,
    installationId: auth.installationId,
    request: octokit.request,
  });
  let held: InstallationToken | undefined;
  let renewing: Promise<InstallationToken> | undefined;
  const renew = (stale?: InstallationToken): Promise<InstallationToken> => {
    if (renewing) return renewing;
    // Another request already replaced the stale token.
    if (held && stale && held.token !== stale.token) return Promise.resolve(held);
    renewing = (appAuth({ type: 'installation', refresh: true }) as Promise<InstallationToken>)
      .then((token) => {
        held = token;
        return token;
      })
      .finally(() => {
        renewing = undefined;
      });
    return renewing;
  };
  const usable = async (): Promise<InstallationToken> => {
    const token = held ?? (await renew());
    const expiresAt = Date.parse(token.expiresAt);
    const lifetime = Math.max(0, expiresAt - Date.parse(token.createdAt));
    return expiresAt - Date.now() <= Math.min(RENEW_AHEAD_MS, lifetime / 4) ? renew(token) : token;
  };
  // before-after-hook hands every wrapper the same options object: change it in place.
  const withAuthorization = (requestOptions: RequestOptionsLike, authorization: string) => {
    requestOptions.headers = { ...(requestOptions.headers ?? {}), authorization };
    return requestOptions;
  };
  const basePath = new URL(baseUrl).pathname.replace(/\/$/, '');

  octokit.hook.wrap('request', async (request, requestOptions: RequestOptionsLike) => {
    const url = octokit.request.endpoint.parse(requestOptions as never).url;
    const path = new URL(url).pathname.slice(basePath.length);
    if (APP_JWT_PATH.test(path)) {
      const { token: jwt } = await appAuth({ type: 'app' });
      return request(withAuthorization(requestOptions, `bearer ${jwt}`) as never);
    }
    let token = await usable();
    try {
      return await request(withAuthorization(requestOptions, `token ${token.token}`) as never);
    } catch (error) {
      if (statusOf(error) !== 401) throw error;
    }
    token = await renew(token);
    try {
      return await request(withAuthorization(requestOptions, `token ${token.token}`) as never);
    } catch (error) {
      if (statusOf(error) !== 401) throw error;
      await new Promise((resolve) => setTimeout(resolve, REPLICATION_DELAY_MS));
      return request(withAuthorization(requestOptions, `token ${(held ?? token).token}`) as never);
    }
  });
}

function itemsOf<T>(data: unknown, itemsKey: string | undefined, route: string): T[] {
  if (Array.isArray(data)) return data as T[];
  if (data !== null && typeof data === 'object') {
    const record = data as Record<string, unknown>;
    if (itemsKey !== undefined) {
      const list = record[itemsKey];
      if (Array.isArray(list)) return list as T[];
    } else {
      const lists = Object.values(record).filter(Array.isArray);
      if (lists.length === 1) return lists[0] as T[];
    }
  }
  throw new SourceError(`${route}: GitHub answered a page that is not a list`);
}

/** The `rel="next"` URL of a `Link` header, if any. */
export function nextLink(link: string | number | undefined): string | undefined {
  if (typeof link !== 'string') return undefined;
  for (const part of link.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match?.[1]) return match[1];
  }
  return undefined;
}

function rateLimitCostOf(data: unknown): number | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const rateLimit = (data as { rateLimit?: unknown }).rateLimit;
  if (rateLimit === null || typeof rateLimit !== 'object') return undefined;
  const cost = (rateLimit as { cost?: unknown }).cost;
  return typeof cost === 'number' ? cost : undefined;
}

/** `query PullRequestsMerged(...)` → `PullRequestsMerged`; anonymous queries are `query`. */
export function operationNameOf(query: string): string {
  return /\b(?:query|mutation)\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(query)?.[1] ?? 'query';
}

function statusOf(error: unknown): number | undefined {
  if (error !== null && typeof error === 'object' && 'status' in error) {
    const status = (error as { status: unknown }).status;
    return typeof status === 'number' ? status : undefined;
  }
  return undefined;
}

function headersOf(error: unknown): Record<string, string | undefined> {
  if (error !== null && typeof error === 'object' && 'response' in error) {
    const response = (error as { response?: { headers?: Record<string, string | undefined> } }).response;
    return response?.headers ?? {};
  }
  return {};
}

function graphqlErrorsOf(error: unknown): { type?: string; message?: string; path?: unknown }[] | undefined {
  if (error !== null && typeof error === 'object' && 'errors' in error) {
    const errors = (error as { errors: unknown }).errors;
    if (Array.isArray(errors)) return errors as { type?: string; message?: string }[];
  }
  return undefined;
}

/** plugin-throttling throws a GraphQL `RATE_LIMITED` answer (HTTP 200) with the body as `data`. */
function graphqlErrorsOfData(error: unknown): { type?: string; message?: string }[] | undefined {
  if (error !== null && typeof error === 'object' && 'data' in error) {
    const errors = (error as { data?: { errors?: unknown } }).data?.errors;
    if (Array.isArray(errors)) return errors as { type?: string; message?: string }[];
  }
  return undefined;
}

function credentialSetting(auth: GitHubAuth): string {
  return auth.kind === 'token'
    ? 'the GITHUB_TOKEN setting (or the GitHub token secret)'
    : 'the GitHub App settings (app id, private key secret, installation id)';
}

/** Map whatever Octokit threw to one of our typed errors; messages never carry the credential. */
function toGitHubError(error: unknown, what: string, auth: GitHubAuth): SourceError {
  if (error instanceof SourceError) return error;
  const status = statusOf(error);
  const headers = headersOf(error);
  const graphqlErrors = graphqlErrorsOf(error) ?? graphqlErrorsOfData(error);
  const detail = safeMessage(error);
  if (graphqlErrors && graphqlErrors.length > 0) {
    const first = graphqlErrors[0];
    const messages = graphqlErrors.map((e) => e.message ?? 'unknown error').join('; ');
    if (first?.type === 'NOT_FOUND') return new GitHubNotFoundError(`${what}: ${messages}`, { cause: error });
    if (first?.type === 'FORBIDDEN')
      return new GitHubForbiddenError(`${what}: ${messages}`, { cause: error });
    if (first?.type === 'RATE_LIMITED') {
      return new GitHubRateLimitError(`${what}: GraphQL rate limit exceeded`, { cause: error });
    }
    if (TIMEOUT_MESSAGE.test(messages)) {
      return new GitHubTimeoutError(`${what}: GitHub stopped the query for taking too long: ${messages}`, {
        cause: error,
      });
    }
    return new GitHubQueryError(`${what}: GitHub rejected the query: ${messages}`, { cause: error });
  }
  if (status === 401) {
    return new GitHubAuthError(
      `${what}: GitHub refused the credential (401 ${detail}); check ${credentialSetting(auth)}`,
      { cause: error },
    );
  }
  if (status === 404) return new GitHubNotFoundError(`${what}: not found (404 ${detail})`, { cause: error });
  const isRateLimit =
    status === 429 ||
    (status === 403 && (headers['x-ratelimit-remaining'] === '0' || /rate limit/i.test(detail)));
  if (isRateLimit) {
    const retryAfter = Number(headers['retry-after']);
    const reset = Number(headers['x-ratelimit-reset']);
    const retryAfterSeconds = Number.isFinite(retryAfter)
      ? retryAfter
      : Number.isFinite(reset)
        ? Math.max(0, Math.ceil(reset - Date.now() / 1000))
        : undefined;
    return new GitHubRateLimitError(
      `${what}: GitHub rate limit not lifted after retries (${status} ${detail})`,
      {
        cause: error,
        ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      },
    );
  }
  if (status === 403) {
    return new GitHubForbiddenError(
      `${what}: forbidden (403 ${detail}); the plan lacks this feature or ${credentialSetting(auth)} lacks the permission`,
      { cause: error },
    );
  }
  if (status === 502 || status === 504 || TIMEOUT_MESSAGE.test(detail)) {
    return new GitHubTimeoutError(
      `${what}: GitHub did not answer in time (${status ?? 'no status'} ${detail})`,
      {
        cause: error,
      },
    );
  }
  if (status !== undefined)
    return new SourceError(`${what}: GitHub answered ${status} (${detail})`, { cause: error });
  return new SourceError(`${what}: ${detail}`, { cause: error });
}

/** Octokit redacts authorization headers, but a message could still quote a URL with a token. */
function safeMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .replace(/(gh[pousr]_|github_pat_)[A-Za-z0-9_]+/g, '[REDACTED]')
    .replace(/(access_token|token)=[^&\s]+/gi, '$1=[REDACTED]')
    .slice(0, 300);
}

const rateLimitResourceSchema = z.object({
  limit: z.number().int().nonnegative(),
  remaining: z.number().int().nonnegative(),
  used: z.number().int().nonnegative(),
  reset: z.number().int().nonnegative(),
});

/** `x-ratelimit-*` of one response, when it carries them all. */
export function budgetOfHeaders(header: (name: string) => string | undefined): RateBudget | undefined {
  const number = (name: string): number | undefined => {
    const text = header(name);
    if (text === undefined || !/^\d+$/.test(text.trim())) return undefined;
    return Number(text);
  };
  const limit = number('x-ratelimit-limit');
  const remaining = number('x-ratelimit-remaining');
  const reset = number('x-ratelimit-reset');
  if (limit === undefined || remaining === undefined || reset === undefined) return undefined;
  return {
    // GitHub names the bucket; a server that does not (older GHES) speaks of `core`.
    resource: header('x-ratelimit-resource')?.trim() || 'core',
    limit,
    remaining,
    used: number('x-ratelimit-used') ?? Math.max(0, limit - remaining),
    resetAt: isoOfEpochSeconds(reset),
  };
}

/** `5,000 core requests an hour` / `5,000 graphql points an hour`: a bucket in words. */
export function describeBucket(budget: Pick<RateBudget, 'resource' | 'limit'>): string {
  const unit = budget.resource === 'graphql' ? 'points' : 'requests';
  return `${budget.resource} budget of ${budget.limit.toLocaleString('en-US')} ${unit} an hour`;
}

function isoOfEpochSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

function requestUrlOf(input: Parameters<typeof fetch>[0]): string {
  return typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
}

function resourceOfUrl(url: string): 'core' | 'graphql' {
  return /\/graphql$/.test(new URL(url, 'http://github.invalid').pathname) ? 'graphql' : 'core';
}

function isSecondaryLimit(error: GitHubRateLimitError): boolean {
  return /secondary rate/i.test(safeMessage(error.cause));
}
