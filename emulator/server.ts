/**
 * The GitHub API emulator: one loopback HTTP server that answers GitHub's GraphQL
 * (`POST /graphql`) and REST calls from a `github-world/1` file, with GitHub's authentication,
 * rate-limit headers and, on request, its failures (502, secondary and primary rate limits,
 * slow answers) so that retry and throttling code runs for real.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { BETTER_STACK_EMULATOR_TOKEN, BetterStackApi } from './better-stack/api.ts';
import { GraphQlEndpoint, type GraphQlRequestBody } from './graphql/endpoint.ts';
import type { GraphQlContext } from './graphql/models.ts';
import {
  FaultInjector,
  type FaultKind,
  type FaultPlan,
  RateLimiter,
  type RateLimits,
  type RateResource,
} from './limits.ts';
import { LINEAR_EMULATOR_KEY, LinearApi } from './linear/api.ts';
import { RestApi } from './rest/api.ts';
import { AppAuthority, type EmulatedApp, looksLikeJwt } from './rest/app-auth.ts';
import { isNotModified, validatorsFor } from './rest/etag.ts';
import type { World } from './world.ts';
import { viewWorld, type WorldView } from './world-view.ts';

export const DEFAULT_TOKEN = 'emulator-token';
export const DEFAULT_LOGIN = 'octocat-emulator';

export interface EmulatorOptions {
  readonly world: World;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** token -> login; default `{ 'emulator-token': 'octocat-emulator' }`. */
  readonly tokens?: Record<string, string>;
  readonly faults?: FaultPlan;
  /**
   * Added to every answer, to look like a network: one figure for all, or per API (GitHub
   * answers a GraphQL page more slowly than a REST call, e.g. 1,000 ms against 250 ms).
   */
  readonly latencyMs?: number | { readonly rest?: number; readonly graphql?: number };
  /** Points and requests per hour; GitHub's 5,000 each by default. */
  readonly rateLimits?: RateLimits;
  /**
   * Length of the rate-limit window in seconds (GitHub's hour, 3,600, by default). A short
   * "emulated hour" lets a test run a budget out and see it reset, with `x-ratelimit-reset`
   * telling the truth; a benchmark that spends several hours of budget compresses it too.
   */
  readonly rateWindowSeconds?: number;
  /** Keep at most this many entries in `requestLog` (oldest dropped); default 10,000. */
  readonly requestLogSize?: number;
  /**
   * Serve https with this key and certificate (PEM) instead of http, e.g. to stand in for a
   * deployment whose GitHub API URL must be https.
   */
  readonly tls?: { readonly key: string; readonly cert: string };
  /**
   * Answer as GitHub Enterprise Server does: REST under `/api/v3`, GraphQL at `/api/graphql`;
   * `url` is then `…/api/v3`.
   */
  readonly enterpriseServerPaths?: boolean;
  /**
   * A GitHub App installed on the world's organisation: JWT sign-in, installation lookup and
   * expiring installation tokens (see `rest/app-auth.ts`).
   */
  readonly app?: EmulatedApp;
  /**
   * An installation token's limits, per installation: GitHub gives installations more than
   * a user (e.g. 15,000 REST requests an hour on Enterprise Cloud). Default: `rateLimits`.
   */
  readonly installationRateLimits?: RateLimits;
  /**
   * GitHub stops a request after 10 seconds, and a GraphQL query that reaches many nodes is the
   * one that takes that long. A query whose node count (as `rateLimit { nodeCount }` gives it)
   * exceeds this is answered as GitHub answers a timeout: 502, "We couldn't respond to your
   * request in time", and charged its cost (GitHub counts timeouts against the limit since July
   * 2025). Default: no query times out.
   */
  readonly graphqlTimeoutNodes?: number;
}

export interface RequestLogEntry {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** GraphQL points charged; 0 for REST. */
  readonly cost: number;
  readonly fault?: FaultKind;
  /** Milliseconds spent answering. */
  readonly ms: number;
  readonly at: string;
}

export interface EmulatorStats {
  readonly requests: number;
  readonly graphqlRequests: number;
  readonly restRequests: number;
  readonly graphqlPoints: number;
  readonly faults: number;
}

export interface Emulator {
  /**
   * `http://127.0.0.1:<port>`: REST base URL; GraphQL at `${url}/graphql` (`https:` with `tls`;
   * `…/api/v3` and `…/api/graphql` with `enterpriseServerPaths`).
   */
  readonly url: string;
  readonly port: number;
  /** The first configured token, for convenience. */
  readonly token: string;
  readonly requestLog: readonly RequestLogEntry[];
  stats(): EmulatorStats;
  injectFaults(plan: FaultPlan): void;
  failNext(count: number, kind: FaultKind): void;
  /** Every installation token issued so far stops working (401), as a revoked token does. */
  expireInstallationTokens(): void;
  /** Linear's GraphQL API, when the world has a `linear` section. */
  readonly linear?: { readonly endpoint: string; readonly apiKey: string };
  /** Better Stack's Uptime API v2, when the world has a `betterStack` section. */
  readonly betterStack?: { readonly baseUrl: string; readonly token: string };
  close(): Promise<void>;
}

const SECONDARY_DOCS =
  'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits';
const PRIMARY_DOCS =
  'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit';
const MAX_BODY_BYTES = 1_000_000;

interface Answer {
  status: number;
  body: unknown;
  /** `body` as serialised (and digested into the ETag), when already done. */
  payload?: string;
  headers: Record<string, string>;
  cost: number;
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const view = viewWorld(options.world);
  const tokens = new Map(Object.entries(options.tokens ?? { [DEFAULT_TOKEN]: DEFAULT_LOGIN }));
  const limiter = new RateLimiter(
    options.rateLimits,
    (key) => (key.startsWith('installation:') ? options.installationRateLimits : undefined),
    (options.rateWindowSeconds ?? 3600) * 1000,
  );
  const appAuthority = options.app
    ? new AppAuthority(options.app, options.world.org, () => baseUrl())
    : undefined;
  const faults = new FaultInjector(options.faults);
  const graphql = new GraphQlEndpoint(view);
  const log: RequestLogEntry[] = [];
  const logSize = options.requestLogSize ?? 10_000;
  const counters = { requests: 0, graphqlRequests: 0, restRequests: 0, graphqlPoints: 0, faults: 0 };
  let rest: RestApi | undefined;
  // Linear and Better Stack are other services: their own paths, credentials and error shapes.
  const worldInfo = { org: options.world.org, now: options.world.now };
  const linearApi = options.world.linear ? new LinearApi(options.world.linear, worldInfo) : undefined;
  const betterStackApi = options.world.betterStack
    ? new BetterStackApi(options.world.betterStack, {
        ...worldInfo,
        emails: new Map(
          options.world.users
            .filter((user) => typeof user.email === 'string' && user.email !== '')
            .map((user) => [user.login.toLowerCase(), user.email as string]),
        ),
      })
    : undefined;

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const started = performance.now();
    void answer(request)
      .catch(
        (error: unknown): Answer => ({
          status: 500,
          body: { message: `emulator failure: ${error instanceof Error ? error.message : String(error)}` },
          headers: {},
          cost: 0,
        }),
      )
      .then(async (result) => {
        const latency = latencyOf(
          options.latencyMs,
          request.url === '/graphql' || request.url === '/api/graphql',
        );
        if (latency > 0) await sleep(latency);
        send(response, result);
        const path = (request.url ?? '/').split('?')[0] ?? '/';
        log.push({
          method: request.method ?? 'GET',
          path,
          status: result.status,
          cost: result.cost,
          ...(result.headers['x-emulator-fault']
            ? { fault: result.headers['x-emulator-fault'] as FaultKind }
            : {}),
          ms: Math.round((performance.now() - started) * 100) / 100,
          at: new Date().toISOString(),
        });
        if (log.length > logSize) log.splice(0, log.length - logSize);
      });
  };
  const server: Server = options.tls ? createTlsServer(options.tls, handle) : createServer(handle);

  async function answer(request: IncomingMessage): Promise<Answer> {
    const url = new URL(request.url ?? '/', 'http://emulator');
    // Linear and Better Stack are served on their own paths, before GitHub's routing.
    if (url.pathname.startsWith('/linear/') || url.pathname.startsWith('/better-stack/')) {
      return serviceAnswer(request, url);
    }
    if (options.enterpriseServerPaths) {
      const routed = enterprisePath(url.pathname);
      if (routed === undefined) return json(404, { message: 'Not Found' });
      url.pathname = routed;
    }
    const isGraphQl = url.pathname === '/graphql';
    const resource: RateResource = isGraphQl ? 'graphql' : 'core';
    counters.requests++;
    if (isGraphQl) counters.graphqlRequests++;
    else counters.restRequests++;
    const body = request.method === 'POST' || request.method === 'PUT' ? await readBody(request) : '';

    const token = tokenOf(request.headers.authorization);
    if (token !== undefined && appAuthority && looksLikeJwt(token)) {
      // Signed in as the App itself: its own endpoints only, not charged to an installation.
      if (isGraphQl) return json(401, { message: 'A JSON web token could not be decoded' });
      const result = appAuthority.answer(request.method ?? 'GET', url.pathname, token);
      return { status: result.status, body: result.body, headers: result.headers ?? {}, cost: 0 };
    }
    const installation = token === undefined ? undefined : appAuthority?.identify(token);
    const login =
      token === undefined
        ? undefined
        : typeof installation === 'object'
          ? installation.login
          : tokens.get(token);
    // An installation's limit is kept per installation, whichever of its tokens is used.
    const rateKey = typeof installation === 'object' ? installation.rateKey : (token as string);
    if (token !== undefined && login === undefined) {
      return json(401, {
        message: 'Bad credentials',
        documentation_url: 'https://docs.github.com/rest',
        status: '401',
      });
    }
    if (login === undefined) {
      const message = isGraphQl
        ? 'This endpoint requires you to be authenticated.'
        : 'Requires authentication';
      return json(401, { message, documentation_url: 'https://docs.github.com/rest', status: '401' });
    }

    const fault = faults.draw(isGraphQl ? 'graphql' : 'rest', url.pathname);
    if (fault) counters.faults++;
    const plan = faults.current;
    if (fault === 'slow') await sleep(plan.slowMs ?? 1500);
    const rate = (): Record<string, string> => rateHeaders(limiter, rateKey, resource);
    if (fault === '502') {
      return { ...json(502, { message: 'Server Error' }), headers: { 'x-emulator-fault': '502' } };
    }
    if (fault === 'secondary') {
      const requestId = randomUUID().toUpperCase();
      return {
        status: 403,
        body: {
          message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
          documentation_url: SECONDARY_DOCS,
          status: '403',
        },
        headers: {
          ...rate(),
          'retry-after': String(plan.retryAfterSeconds ?? 1),
          'x-github-request-id': requestId,
          'x-emulator-fault': 'secondary',
        },
        cost: 0,
      };
    }
    if (fault === 'primary') {
      const state = limiter.state(rateKey, resource);
      const reset = Math.ceil(Date.now() / 1000) + (plan.resetAfterSeconds ?? 1);
      return {
        status: 403,
        body: {
          message: `API rate limit exceeded for user ID ${userId(login)}. If you reach out to GitHub Support for help, please include the request ID ${randomUUID().toUpperCase()}.`,
          documentation_url: PRIMARY_DOCS,
          status: '403',
        },
        headers: {
          'x-ratelimit-limit': String(state.limit),
          'x-ratelimit-remaining': '0',
          'x-ratelimit-used': String(state.limit),
          'x-ratelimit-reset': String(reset),
          'x-ratelimit-resource': resource,
          'x-emulator-fault': 'primary',
        },
        cost: 0,
      };
    }

    if (isGraphQl) return graphQl(request, body, rateKey, login);
    if (url.pathname === '/rate_limit')
      return { ...json(200, rateLimitBody(limiter, rateKey)), headers: rate() };
    rest ??= new RestApi(view, baseUrl());
    const result = rest.handle({
      method: request.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      viewerLogin: login,
    });
    // Conditional requests: a 304 is decided before charging, because GitHub does not count it.
    const payload = JSON.stringify(result.body);
    const validators =
      request.method === 'GET' && result.status === 200 ? validatorsFor(result.body, payload) : {};
    if (validators.etag !== undefined && isNotModified(request.headers, validators)) {
      return { status: 304, body: undefined, headers: { ...rate(), ...validators }, cost: 0 };
    }
    if (!limiter.charge(rateKey, 'core', 1)) {
      return {
        ...json(403, {
          message: `API rate limit exceeded for user ID ${userId(login)}.`,
          documentation_url: PRIMARY_DOCS,
          status: '403',
        }),
        headers: rate(),
      };
    }
    return {
      status: result.status,
      body: result.body,
      payload,
      headers: { ...rate(), ...validators, ...result.headers },
      cost: 0,
    };
  }

  async function graphQl(
    request: IncomingMessage,
    text: string,
    token: string,
    login: string,
  ): Promise<Answer> {
    if (request.method !== 'POST')
      return json(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/graphql' });
    let parsed: GraphQlRequestBody;
    try {
      parsed = JSON.parse(text) as GraphQlRequestBody;
    } catch {
      return json(400, {
        message: 'Problems parsing JSON',
        documentation_url: 'https://docs.github.com/graphql',
      });
    }
    const headers = (): Record<string, string> => rateHeaders(limiter, token, 'graphql');
    const prepared = graphql.prepare(parsed ?? {});
    if (!prepared.ok) return { status: 200, body: { errors: prepared.errors }, headers: headers(), cost: 0 };
    const { cost, nodeCount } = prepared.query;
    if (!limiter.charge(token, 'graphql', cost)) {
      return {
        status: 200,
        body: {
          errors: [
            { type: 'RATE_LIMITED', message: `API rate limit exceeded for user ID ${userId(login)}.` },
          ],
        },
        headers: headers(),
        cost: 0,
      };
    }
    counters.graphqlPoints += cost;
    if (options.graphqlTimeoutNodes !== undefined && nodeCount > options.graphqlTimeoutNodes) {
      return {
        status: 502,
        body: {
          message:
            "We couldn't respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists.",
          documentation_url:
            'https://docs.github.com/graphql/overview/rate-limits-and-node-limits-for-the-graphql-api#timeouts',
        },
        headers: headers(),
        cost,
      };
    }
    const state = limiter.state(token, 'graphql');
    const context: GraphQlContext = {
      view,
      viewerLogin: login,
      rateLimit: {
        cost,
        nodeCount,
        limit: state.limit,
        remaining: state.remaining,
        used: state.used,
        resetAt: new Date(state.reset * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
    };
    const body = await graphql.run(prepared.query, context);
    return { status: 200, body, headers: headers(), cost };
  }

  async function serviceAnswer(request: IncomingMessage, url: URL): Promise<Answer> {
    const authorization = request.headers.authorization;
    const method = request.method ?? 'GET';
    const notConfigured = (service: string): Answer =>
      json(404, { errors: `${service} is not configured in this world` });
    if (url.pathname.startsWith('/linear/')) {
      if (!linearApi) return notConfigured('Linear');
      const body = method === 'POST' ? await readBody(request) : '';
      return { ...(await linearApi.handle({ method, path: url.pathname, authorization, body })), cost: 0 };
    }
    if (!betterStackApi) return notConfigured('Better Stack');
    return {
      ...betterStackApi.handle({
        method,
        path: url.pathname,
        query: url.searchParams,
        authorization,
        baseUrl: originUrl(),
      }),
      cost: 0,
    };
  }

  function originUrl(): string {
    const address = server.address() as AddressInfo;
    return `${options.tls ? 'https' : 'http'}://127.0.0.1:${address.port}`;
  }

  function baseUrl(): string {
    return options.enterpriseServerPaths ? `${originUrl()}/api/v3` : originUrl();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.keepAliveTimeout = 5000;
  const url = baseUrl();
  return {
    url,
    port: (server.address() as AddressInfo).port,
    token: tokens.keys().next().value ?? DEFAULT_TOKEN,
    // Other services: at the origin, whatever GitHub's path prefix.
    ...(linearApi
      ? { linear: { endpoint: `${originUrl()}/linear/graphql`, apiKey: LINEAR_EMULATOR_KEY } }
      : {}),
    ...(betterStackApi
      ? {
          betterStack: {
            baseUrl: `${originUrl()}/better-stack/api/v2`,
            token: BETTER_STACK_EMULATOR_TOKEN,
          },
        }
      : {}),
    requestLog: log,
    stats: () => ({ ...counters }),
    injectFaults: (plan) => faults.inject(plan),
    failNext: (count, kind) => faults.failNext(count, kind),
    expireInstallationTokens: () => appAuthority?.expireAll(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The view an emulator serves, for tools (benchmarks, generators) that want GitHub's picture. */
export function worldAtNow(world: World): WorldView {
  return viewWorld(world);
}

function latencyOf(latency: EmulatorOptions['latencyMs'], isGraphQl: boolean): number {
  if (typeof latency === 'number') return latency;
  return (isGraphQl ? latency?.graphql : latency?.rest) ?? 0;
}

/** GitHub Enterprise Server's paths as the emulator's own: `/api/v3/x` → `/x`, `/api/graphql` → `/graphql`. */
function enterprisePath(pathname: string): string | undefined {
  if (pathname === '/api/graphql') return '/graphql';
  if (pathname.startsWith('/api/v3/')) return pathname.slice('/api/v3'.length);
  return undefined;
}

function tokenOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^(?:bearer|token)\s+(\S+)$/i.exec(header.trim());
  return match ? match[1] : header.trim();
}

function userId(login: string): number {
  let hash = 0;
  for (let i = 0; i < login.length; i++) hash = (hash * 31 + login.charCodeAt(i)) >>> 0;
  return 1_000_000 + (hash % 90_000_000);
}

function rateHeaders(limiter: RateLimiter, token: string, resource: RateResource): Record<string, string> {
  const state = limiter.state(token, resource);
  return {
    'x-ratelimit-limit': String(state.limit),
    'x-ratelimit-remaining': String(state.remaining),
    'x-ratelimit-used': String(state.used),
    'x-ratelimit-reset': String(state.reset),
    'x-ratelimit-resource': resource,
  };
}

function rateLimitBody(limiter: RateLimiter, token: string): unknown {
  const shape = (resource: RateResource) => {
    const state = limiter.state(token, resource);
    return { limit: state.limit, used: state.used, remaining: state.remaining, reset: state.reset };
  };
  const core = shape('core');
  // GitHub always reports its search bucket too (30 requests a minute); the emulator charges none.
  const search = { limit: 30, used: 0, remaining: 30, reset: Math.ceil(Date.now() / 1000) + 60 };
  return { resources: { core, graphql: shape('graphql'), search }, rate: core };
}

function json(status: number, body: unknown): Answer {
  return { status, body, headers: {}, cost: 0 };
}

function send(response: ServerResponse, answer: Answer): void {
  // A 304 has no body (RFC 9110 §15.4.5), only the validators and rate-limit headers.
  const payload = answer.status === 304 ? '' : (answer.payload ?? JSON.stringify(answer.body));
  response.writeHead(answer.status, {
    ...(answer.status === 304
      ? {}
      : { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) }),
    'x-github-media-type': 'github.v3; format=json',
    'x-github-api-version-selected': '2022-11-28',
    'x-github-request-id': answer.headers['x-github-request-id'] ?? randomUUID().toUpperCase(),
    ...answer.headers,
  });
  response.end(payload);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
