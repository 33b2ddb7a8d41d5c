/**
 * Relay connections as GitHub serves them: `first`/`after` (and `last`/`before`) over a list,
 * opaque cursors, `totalCount`, `pageInfo`, `nodes` and `edges`. Global node ids are opaque too:
 * a type prefix and an encoded key, like GitHub's `PR_kwDO…`.
 */
import { GraphQLError } from 'graphql';

export type Args = Record<string, unknown>;

export function encodeCursor(position: number): string {
  return Buffer.from(`cursor:${position}`).toString('base64');
}

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64').toString('utf8');
  const match = /^cursor:(\d+)$/.exec(text);
  if (!match) throw new GraphQLError(`\`${cursor}\` does not appear to be a valid cursor.`);
  return Number(match[1]);
}

export interface PageWindow {
  readonly start: number;
  readonly end: number;
}

/** The slice `[start, end)` of a list of `total` items that `first/after/last/before` select. */
export function pageWindow(total: number, args: Args): PageWindow {
  let start = 0;
  let end = total;
  if (typeof args.after === 'string') start = Math.min(total, decodeCursor(args.after));
  if (typeof args.before === 'string') end = Math.max(start, Math.min(total, decodeCursor(args.before) - 1));
  if (typeof args.first === 'number') end = Math.min(end, start + args.first);
  else if (typeof args.last === 'number') start = Math.max(start, end - args.last);
  return { start, end };
}

export interface Connection {
  readonly __typename: string;
  readonly [field: string]: unknown;
}

/**
 * A connection over `items`; `toNode` runs only for the page's items. `cap` limits how far the
 * list can be paged (GitHub's search stops at 1,000 results while `totalCount` says more).
 */
export function connection<T>(
  typename: string,
  items: readonly T[],
  args: Args,
  toNode: (item: T) => unknown,
  extra: Record<string, unknown> = {},
  cap = Number.POSITIVE_INFINITY,
): Connection {
  const reachable = Math.min(items.length, cap);
  const { start, end } = pageWindow(reachable, args);
  let page: unknown[] | undefined;
  const nodes = (): unknown[] => {
    page ??= items.slice(start, end).map(toNode);
    return page;
  };
  const edgeTypename = typename.replace(/Connection$/, 'Edge');
  return {
    __typename: typename,
    totalCount: items.length,
    pageInfo: {
      __typename: 'PageInfo',
      hasNextPage: end < reachable,
      hasPreviousPage: start > 0,
      startCursor: end > start ? encodeCursor(start + 1) : null,
      endCursor: end > start ? encodeCursor(end) : null,
    },
    nodes,
    edges: () =>
      nodes().map((node, i) => ({ __typename: edgeTypename, cursor: encodeCursor(start + i + 1), node })),
    ...extra,
  };
}

export function globalId(prefix: string, key: string): string {
  return `${prefix}_${Buffer.from(key).toString('base64url')}`;
}

export function parseGlobalId(id: string): { prefix: string; key: string } | undefined {
  const match = /^([A-Z]+)_([A-Za-z0-9_-]+)$/.exec(id);
  if (!match) return undefined;
  return { prefix: match[1] as string, key: Buffer.from(match[2] as string, 'base64url').toString('utf8') };
}
