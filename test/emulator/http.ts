/** Small HTTP helpers for tests that talk to a started emulator with `fetch`. */
import type { Emulator } from '../../emulator/server.ts';

export interface GraphQlAnswer {
  status: number;
  headers: Headers;
  data?: Record<string, unknown>;
  errors?: {
    type?: string;
    message: string;
    path?: (string | number)[];
    extensions?: Record<string, unknown>;
  }[];
}

export async function graphqlRequest(
  emulator: Emulator,
  query: string,
  variables: Record<string, unknown> = {},
  token = emulator.token,
): Promise<GraphQlAnswer> {
  const response = await fetch(`${emulator.url}/graphql`, {
    method: 'POST',
    headers: { authorization: `bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphQlAnswer, 'status' | 'headers'>;
  return { ...body, status: response.status, headers: response.headers };
}

export interface RestAnswer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export async function restGet<T = unknown>(
  emulator: Emulator,
  pathOrUrl: string,
  token = emulator.token,
): Promise<RestAnswer<T>> {
  const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${emulator.url}${pathOrUrl}`;
  const response = await fetch(url, { headers: { authorization: `token ${token}` } });
  return { status: response.status, headers: response.headers, body: (await response.json()) as T };
}

/** The URL of a `Link` header's relation, e.g. `rel="next"`. */
export function linkOf(headers: Headers, rel: string): string | undefined {
  const link = headers.get('link');
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = /<([^>]+)>;\s*rel="([^"]+)"/.exec(part.trim());
    if (match && match[2] === rel) return match[1];
  }
  return undefined;
}
