import { hash } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted, no insignificant white space, `undefined` members dropped.
 * The same evidence always serialises to the same bytes, so its SHA-256 identifies it and a
 * re-run that fetched nothing new writes nothing.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    if (value instanceof Date) return value.toISOString();
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) sorted[key] = sortKeys(member);
    }
    return sorted;
  }
  return value;
}

/**
 * SHA-256 in hex (a string is hashed as UTF-8). The one-shot `hash`: a pack hashes every object
 * it reads, and a Hash object per call cost about twice as much.
 */
export function sha256Hex(bytes: Uint8Array | string): string {
  return hash('sha256', bytes, 'hex');
}

export function md5Base64(bytes: Uint8Array): string {
  return hash('md5', bytes, 'base64');
}
