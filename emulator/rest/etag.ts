/**
 * Conditional requests as GitHub answers them: every successful REST GET carries a strong
 * `ETag` (a digest of the exact body sent), single resources that carry `updated_at` also a
 * `Last-Modified`; a request whose `If-None-Match` names the current ETag (or whose
 * `If-Modified-Since` is not older than `Last-Modified`, when no `If-None-Match` is sent) is
 * answered `304 Not Modified` without a body, and GitHub does not count such an answer against
 * the primary rate limit
 * (https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate).
 */
import { createHash } from 'node:crypto';

/** GitHub's ETags are quoted hex digests; `W/` marks a weak one, which we never send. */
export function strongEtag(payload: string): string {
  return `"${createHash('sha256').update(payload).digest('hex')}"`;
}

/** The validators GitHub sends with this body: an ETag always, `Last-Modified` for a single resource. */
export function validatorsFor(body: unknown, payload: string): Record<string, string> {
  const headers: Record<string, string> = { etag: strongEtag(payload) };
  const updatedAt =
    body !== null && typeof body === 'object' && !Array.isArray(body)
      ? (body as { updated_at?: unknown }).updated_at
      : undefined;
  if (typeof updatedAt === 'string') {
    const time = Date.parse(updatedAt);
    if (Number.isFinite(time)) headers['last-modified'] = new Date(time).toUTCString();
  }
  return headers;
}

/**
 * True when the client's validators still match, i.e. GitHub would answer 304.
 * `If-None-Match` wins over `If-Modified-Since` when both are sent (RFC 9110 §13.2.2).
 */
export function isNotModified(
  requestHeaders: { 'if-none-match'?: string | undefined; 'if-modified-since'?: string | undefined },
  validators: Record<string, string>,
): boolean {
  const ifNoneMatch = requestHeaders['if-none-match'];
  const etag = validators.etag;
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '') {
    if (etag === undefined) return false;
    if (ifNoneMatch.trim() === '*') return true;
    // Weak comparison, as for GET: `W/"x"` matches `"x"`.
    const bare = (tag: string): string => tag.trim().replace(/^W\//, '');
    return ifNoneMatch.split(',').some((tag) => bare(tag) === bare(etag));
  }
  const ifModifiedSince = requestHeaders['if-modified-since'];
  const lastModified = validators['last-modified'];
  if (ifModifiedSince === undefined || lastModified === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  const modified = Date.parse(lastModified);
  return Number.isFinite(since) && Number.isFinite(modified) && modified <= since;
}
