import { SourceError } from '../errors.ts';

/**
 * JSON over HTTP for the sources that have no official Node client we use (Linear's GraphQL,
 * Better Stack's REST): bounded retries of transient failures (network, 5xx, 429 with
 * `retry-after`), a timeout, and errors that name the service and status but never the
 * credential.
 */

/** The service refused the credential (401/403): fix the token, nothing was read. */
export class SourceAuthError extends SourceError {
  override name = 'SourceAuthError';
}

/** The service could not be reached or kept failing: the collection records a gap. */
export class SourceUnreachableError extends SourceError {
  override name = 'SourceUnreachableError';
}

export interface JsonRequest {
  readonly service: string;
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  readonly body?: unknown;
  /** Attempts for transient failures; default 3. */
  readonly attempts?: number;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  /** Milliseconds per second of back-off; tests pass less. Default 1,000. */
  readonly backoffBaseMs?: number;
}

export async function requestJson(request: JsonRequest): Promise<unknown> {
  const attempts = request.attempts ?? 3;
  const doFetch = request.fetch ?? globalThis.fetch;
  const base = request.backoffBaseMs ?? 1000;
  const where = `${request.service} ${request.method ?? 'GET'} ${redactQuery(request.url)}`;
  let last: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let response: Response;
    try {
      response = await doFetch(request.url, {
        method: request.method ?? 'GET',
        headers: {
          accept: 'application/json',
          ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...request.headers,
        },
        ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
        signal: AbortSignal.timeout(request.timeoutMs ?? 30_000),
      });
    } catch (error: unknown) {
      last = new SourceUnreachableError(
        `${where}: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
      await sleep(base * attempt);
      continue;
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw new SourceAuthError(`${where}: the credential was refused (HTTP ${response.status})`);
    }
    if (response.status === 429 || response.status >= 500) {
      const retryAfter = Number(response.headers.get('retry-after'));
      await response.body?.cancel();
      last = new SourceUnreachableError(`${where}: HTTP ${response.status}`);
      await sleep(base * (Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : attempt));
      continue;
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error: unknown) {
      throw new SourceError(`${where}: HTTP ${response.status}, not JSON`, { cause: error });
    }
    // GraphQL answers errors with 400 and a JSON body; the caller reads it.
    if (!response.ok && response.status !== 400) {
      throw new SourceError(`${where}: HTTP ${response.status}`);
    }
    return json;
  }
  throw last instanceof Error ? last : new SourceUnreachableError(`${where}: no answer`);
}

/** A URL for messages: the path and parameter names, never values that might be secret. */
function redactQuery(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(bad URL)';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
