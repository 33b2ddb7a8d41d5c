/**
 * Rate limits and injected faults. Limits are kept per token and resource as GitHub keeps them
 * (5,000 REST requests and 5,000 GraphQL points an hour by default), on the real clock, so that
 * `x-ratelimit-reset` means what a client's throttling expects. Faults are drawn from a seeded
 * generator, so a run with the same plan and request order fails the same way every time.
 */

export type RateResource = 'core' | 'graphql';

export interface RateLimits {
  /** REST requests per hour; default 5,000. */
  readonly core?: number;
  /** GraphQL points per hour; default 5,000. */
  readonly graphql?: number;
}

/** GitHub's rate-limit window: an hour from the first request charged in it. */
export const RATE_WINDOW_MS = 3_600_000;

export interface RateState {
  readonly resource: RateResource;
  readonly limit: number;
  readonly used: number;
  readonly remaining: number;
  /** Epoch seconds. */
  readonly reset: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, { started: number; used: number }>();

  /**
   * `limitsOf` gives a key its own limits where GitHub does (a GitHub App installation's higher
   * limit, e.g. 15,000 an hour on Enterprise Cloud); other keys get `limits`.
   */
  /**
   * `windowMs` shortens the hour for tests and demonstrations (an "emulated hour" of seconds),
   * so that a run whose budget runs out sees the reset without waiting an hour.
   */
  constructor(
    private readonly limits: RateLimits = {},
    private readonly limitsOf: (key: string) => RateLimits | undefined = () => undefined,
    /** Length of a rate-limit window: GitHub's hour, shorter only where a benchmark compresses time. */
    private readonly windowMs: number = RATE_WINDOW_MS,
  ) {}

  limitOf(resource: RateResource, key?: string): number {
    const own = key === undefined ? undefined : this.limitsOf(key)?.[resource];
    return own ?? this.limits[resource] ?? 5000;
  }

  state(token: string, resource: RateResource, nowMs = Date.now()): RateState {
    const window = this.current(token, resource, nowMs);
    const limit = this.limitOf(resource, token);
    return {
      resource,
      limit,
      used: window.used,
      remaining: Math.max(0, limit - window.used),
      reset: Math.ceil((window.started + this.windowMs) / 1000),
    };
  }

  /** Charge `points`; false (and nothing charged) when the window cannot pay for them. */
  charge(token: string, resource: RateResource, points: number, nowMs = Date.now()): boolean {
    const window = this.current(token, resource, nowMs);
    if (window.used + points > this.limitOf(resource, token)) return false;
    window.used += points;
    return true;
  }

  private current(token: string, resource: RateResource, nowMs: number): { started: number; used: number } {
    const key = `${resource}\u0000${token}`;
    let window = this.windows.get(key);
    if (!window || nowMs >= window.started + this.windowMs) {
      window = { started: nowMs, used: 0 };
      this.windows.set(key, window);
    }
    return window;
  }
}

export type FaultKind = '502' | 'secondary' | 'primary' | 'slow';
export const FAULT_KINDS: readonly FaultKind[] = ['502', 'secondary', 'primary', 'slow'];

export interface FaultPlan {
  /** Seed of the generator that draws rate-based faults; default 1. */
  readonly seed?: number;
  /** Probability (0..1) of each fault per request. */
  readonly rates?: Partial<Record<FaultKind, number>>;
  /** Which requests may fail: `graphql`, `rest` or `all` (default). */
  readonly scope?: 'graphql' | 'rest' | 'all';
  /**
   * Only requests whose path (without the query) matches this regular expression may fail
   * from `rates`, e.g. `^/repos/acme/web-app/deployments$`: one kind of one repository.
   */
  readonly pathPattern?: string;
  /** Delay of a `slow` answer; default 1,500 ms. */
  readonly slowMs?: number;
  /** `retry-after` of a secondary limit, seconds; default 1. */
  readonly retryAfterSeconds?: number;
  /** How far `x-ratelimit-reset` of a primary-limit fault lies ahead, seconds; default 1. */
  readonly resetAfterSeconds?: number;
}

/** mulberry32: small, fast and good enough to spread faults reproducibly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private plan: FaultPlan = {};
  private random: () => number = seededRandom(1);
  private readonly forced: FaultKind[] = [];

  constructor(plan?: FaultPlan) {
    if (plan) this.inject(plan);
  }

  get current(): FaultPlan {
    return this.plan;
  }

  inject(plan: FaultPlan): void {
    this.plan = plan;
    this.random = seededRandom(plan.seed ?? 1);
  }

  failNext(count: number, kind: FaultKind): void {
    for (let i = 0; i < count; i++) this.forced.push(kind);
  }

  /** The fault for the next request of this kind (and path), if any. */
  draw(endpoint: 'graphql' | 'rest', path = '/'): FaultKind | undefined {
    const forced = this.forced.shift();
    if (forced) return forced;
    const rates = this.plan.rates;
    if (!rates) return undefined;
    const scope = this.plan.scope ?? 'all';
    if (scope !== 'all' && scope !== endpoint) return undefined;
    if (this.plan.pathPattern !== undefined && !new RegExp(this.plan.pathPattern).test(path))
      return undefined;
    for (const kind of FAULT_KINDS) {
      const rate = rates[kind];
      if (rate !== undefined && rate > 0 && this.random() < rate) return kind;
    }
    return undefined;
  }
}
