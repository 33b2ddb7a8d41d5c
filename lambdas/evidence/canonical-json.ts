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

/**
 * `canonicalJson(records.map((r) => pick(r, fields)))` for flat records of text, written
 * directly: a pack's manifest lists every evidence object (270,000 at five times a 10,000-change
 * month), and sorting a copy of each entry's keys was most of writing it. `fields` must be in
 * canonical (sorted) order; undefined when a record's field is not a string (the caller then uses
 * `canonicalJson`, which decides what such a value becomes).
 */
export function canonicalTextRecords(
  records: readonly object[],
  fields: readonly string[],
): string | undefined {
  const sorted = [...fields].sort();
  if (sorted.some((field, i) => field !== fields[i] || /^\d+$/.test(field))) return undefined;
  const names = fields.map((field) => `${JSON.stringify(field)}:`);
  const parts: string[] = [];
  for (const record of records) {
    let part = '{';
    for (let i = 0; i < fields.length; i++) {
      const value = (record as Record<string, unknown>)[fields[i] as string];
      if (typeof value !== 'string') return undefined;
      part += `${i === 0 ? '' : ','}${names[i]}${JSON.stringify(value)}`;
    }
    parts.push(`${part}}`);
  }
  return `[${parts.join(',')}]`;
}
