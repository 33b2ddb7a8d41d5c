/**
 * GitHub App sign-in as GitHub does it
 * (https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app):
 * the App signs a JSON Web Token (RS256) with its private key; with that JWT it may read
 * `GET /app`, look up its installation (`GET /orgs/{org}/installation`,
 * `GET /repos/{owner}/{repo}/installation`, `GET /app/installations/{id}`) and create an
 * installation access token (`POST /app/installations/{id}/access_tokens`), which expires
 * (an hour on GitHub) and authenticates every other call as `<slug>[bot]`, with the
 * installation's own rate limit. A JWT whose signature, issuer or times are wrong is refused
 * with 401 and GitHub's wording.
 */
import { createPublicKey, randomBytes, verify as verifySignature } from 'node:crypto';
import type { RestResponse } from './api.ts';

export interface EmulatedApp {
  /** The App's numeric id; a JWT's `iss` may be this id or the client id. */
  readonly id: number;
  /** `Iv23…` on GitHub; also accepted as `iss`. Default `Iv23emulator<id>`. */
  readonly clientId?: string;
  readonly slug: string;
  readonly name?: string;
  /** The App's public key (PEM, SPKI or PKCS#1), against which every JWT is verified. */
  readonly publicKey: string;
  /** The installation on the world's organisation. */
  readonly installationId: number;
  /** Default: what the collectors need, read-only. */
  readonly permissions?: Readonly<Record<string, 'read' | 'write' | 'admin'>>;
  readonly repositorySelection?: 'all' | 'selected';
  /** Lifetime of an installation token, seconds; GitHub's is 3,600. Shorter ones test renewal. */
  readonly tokenLifetimeSeconds?: number;
}

/** Who an installation token speaks for, and which rate-limit bucket it draws from. */
export interface InstallationIdentity {
  readonly login: string;
  /** GitHub keeps an installation's limit per installation, not per token. */
  readonly rateKey: string;
}

const DOCS = 'https://docs.github.com/rest';
/** GitHub: `exp` no more than 10 minutes into the future. */
const MAX_JWT_LIFETIME_SECONDS = 600;
/** GitHub advises `iat` 60 s in the past against clock drift; allow as much the other way. */
const CLOCK_DRIFT_SECONDS = 60;

const DEFAULT_PERMISSIONS = {
  metadata: 'read',
  contents: 'read',
  pull_requests: 'read',
  deployments: 'read',
  actions: 'read',
  checks: 'read',
  statuses: 'read',
  administration: 'read',
  members: 'read',
  organization_administration: 'read',
} as const;

function refuse(status: number, message: string): RestResponse {
  return { status, body: { message, documentation_url: DOCS, status: String(status) } };
}

/** A compact JWS: three base64url parts, the first a JSON header (`eyJ…`). */
export function looksLikeJwt(token: string): boolean {
  return /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

export class AppAuthority {
  private readonly publicKey;
  private readonly tokens = new Map<string, { expiresAtMs: number }>();
  private readonly createdAt = '2025-01-15T09:00:00Z';

  constructor(
    private readonly app: EmulatedApp,
    private readonly org: string,
    private readonly baseUrl: () => string,
    private readonly now: () => number = Date.now,
  ) {
    this.publicKey = createPublicKey(app.publicKey);
  }

  get botLogin(): string {
    return `${this.app.slug}[bot]`;
  }

  /** The identity behind an installation token; `expired` once its time is up (or revoked). */
  identify(token: string): InstallationIdentity | 'expired' | undefined {
    const issued = this.tokens.get(token);
    if (!issued) return undefined;
    if (this.now() >= issued.expiresAtMs) return 'expired';
    return { login: this.botLogin, rateKey: `installation:${this.app.installationId}` };
  }

  /** Every token issued so far stops working now, as when GitHub revokes them. */
  expireAll(): void {
    for (const issued of this.tokens.values()) issued.expiresAtMs = Math.min(issued.expiresAtMs, this.now());
  }

  /** Answer a request authenticated by a JWT. */
  answer(method: string, path: string, jwt: string): RestResponse {
    const refused = this.verify(jwt);
    if (refused) return refused;
    const installation = `/app/installations/${this.app.installationId}`;
    if (method === 'GET' && path === '/app') return { status: 200, body: this.appBody() };
    if (method === 'GET' && path === '/app/installations') {
      return { status: 200, body: [this.installationBody()] };
    }
    if (method === 'GET' && path === installation) return { status: 200, body: this.installationBody() };
    const orgInstallation = /^\/orgs\/([^/]+)\/installation$/.exec(path);
    if (method === 'GET' && orgInstallation) {
      return decodeURIComponent(orgInstallation[1] ?? '').toLowerCase() === this.org.toLowerCase()
        ? { status: 200, body: this.installationBody() }
        : refuse(404, 'Not Found');
    }
    const repoInstallation = /^\/repos\/([^/]+)\/[^/]+\/installation$/.exec(path);
    if (method === 'GET' && repoInstallation) {
      return decodeURIComponent(repoInstallation[1] ?? '').toLowerCase() === this.org.toLowerCase()
        ? { status: 200, body: this.installationBody() }
        : refuse(404, 'Not Found');
    }
    if (method === 'POST' && path === `${installation}/access_tokens`) return this.issueToken();
    if (/^\/app\/installations\/\d+(\/access_tokens)?$/.test(path)) return refuse(404, 'Not Found');
    // A JWT only opens the App's own endpoints; everything else needs an installation token.
    return refuse(403, 'Resource not accessible by integration');
  }

  /** undefined when the JWT is good; otherwise GitHub's 401. */
  private verify(jwt: string): RestResponse | undefined {
    const undecodable = refuse(401, 'A JSON web token could not be decoded');
    if (!looksLikeJwt(jwt)) return undecodable;
    const [headerPart = '', payloadPart = '', signaturePart = ''] = jwt.split('.');
    let header: { alg?: unknown };
    let claims: { iat?: unknown; exp?: unknown; iss?: unknown };
    try {
      header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
    } catch {
      return undecodable;
    }
    if (header.alg !== 'RS256') return undecodable;
    const signed = verifySignature(
      'RSA-SHA256',
      Buffer.from(`${headerPart}.${payloadPart}`),
      this.publicKey,
      Buffer.from(signaturePart, 'base64url'),
    );
    if (!signed) return undecodable;
    const issuers = [String(this.app.id), this.clientId];
    if (claims.iss === undefined || !issuers.includes(String(claims.iss))) {
      return refuse(401, "'Issuer' claim ('iss') must be an Integer");
    }
    const nowSeconds = Math.floor(this.now() / 1000);
    const iat = claims.iat;
    if (typeof iat !== 'number' || !Number.isInteger(iat) || iat > nowSeconds + CLOCK_DRIFT_SECONDS) {
      return refuse(
        401,
        "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
      );
    }
    const exp = claims.exp;
    if (typeof exp !== 'number' || !Number.isFinite(exp) || exp <= nowSeconds - CLOCK_DRIFT_SECONDS) {
      return refuse(
        401,
        "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
      );
    }
    if (
      exp - iat > MAX_JWT_LIFETIME_SECONDS ||
      exp > nowSeconds + MAX_JWT_LIFETIME_SECONDS + CLOCK_DRIFT_SECONDS
    ) {
      return refuse(401, "'Expiration time' claim ('exp') is too far in the future");
    }
    return undefined;
  }

  private issueToken(): RestResponse {
    // `ghs_` and 36 characters, as GitHub's installation tokens look; random every time.
    const token = `ghs_${randomBytes(27).toString('base64url').slice(0, 36)}`;
    const lifetimeMs = (this.app.tokenLifetimeSeconds ?? 3600) * 1000;
    // `expires_at` is written to the second: the token ends exactly when it says.
    const expiresAtMs = Math.floor((this.now() + lifetimeMs) / 1000) * 1000;
    this.tokens.set(token, { expiresAtMs });
    return {
      status: 201,
      body: {
        token,
        expires_at: new Date(expiresAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        permissions: this.permissions,
        repository_selection: this.app.repositorySelection ?? 'all',
      },
    };
  }

  private get clientId(): string {
    return this.app.clientId ?? `Iv23emulator${this.app.id}`;
  }

  private get permissions(): Record<string, string> {
    return { ...(this.app.permissions ?? DEFAULT_PERMISSIONS) };
  }

  private owner() {
    const login = this.org;
    return {
      login,
      id: 4_000_000 + (this.app.id % 1_000_000),
      node_id: `O_${Buffer.from(login).toString('base64url')}`,
      avatar_url: `https://avatars.githubusercontent.com/u/${4_000_000 + (this.app.id % 1_000_000)}?v=4`,
      gravatar_id: '',
      url: `${this.baseUrl()}/users/${login}`,
      html_url: `https://github.com/${login}`,
      followers_url: `${this.baseUrl()}/users/${login}/followers`,
      following_url: `${this.baseUrl()}/users/${login}/following{/other_user}`,
      gists_url: `${this.baseUrl()}/users/${login}/gists{/gist_id}`,
      starred_url: `${this.baseUrl()}/users/${login}/starred{/owner}{/repo}`,
      subscriptions_url: `${this.baseUrl()}/users/${login}/subscriptions`,
      organizations_url: `${this.baseUrl()}/users/${login}/orgs`,
      repos_url: `${this.baseUrl()}/users/${login}/repos`,
      events_url: `${this.baseUrl()}/users/${login}/events{/privacy}`,
      received_events_url: `${this.baseUrl()}/users/${login}/received_events`,
      type: 'Organization',
      user_view_type: 'public',
      site_admin: false,
    };
  }

  private appBody() {
    return {
      id: this.app.id,
      slug: this.app.slug,
      client_id: this.clientId,
      node_id: `A_${Buffer.from(String(this.app.id)).toString('base64url')}`,
      owner: this.owner(),
      name: this.app.name ?? this.app.slug,
      description: 'Reads change-management evidence.',
      external_url: `https://github.com/apps/${this.app.slug}`,
      html_url: `https://github.com/apps/${this.app.slug}`,
      created_at: this.createdAt,
      updated_at: this.createdAt,
      permissions: this.permissions,
      events: [],
      installations_count: 1,
    };
  }

  private installationBody() {
    const id = this.app.installationId;
    return {
      id,
      account: this.owner(),
      repository_selection: this.app.repositorySelection ?? 'all',
      access_tokens_url: `${this.baseUrl()}/app/installations/${id}/access_tokens`,
      repositories_url: `${this.baseUrl()}/installation/repositories`,
      html_url: `https://github.com/organizations/${this.org}/settings/installations/${id}`,
      app_id: this.app.id,
      client_id: this.clientId,
      app_slug: this.app.slug,
      target_id: 4_000_000 + (this.app.id % 1_000_000),
      target_type: 'Organization',
      permissions: this.permissions,
      events: [],
      created_at: this.createdAt,
      updated_at: this.createdAt,
      single_file_name: null,
      has_multiple_single_files: false,
      single_file_paths: [],
      suspended_by: null,
      suspended_at: null,
    };
  }
}
