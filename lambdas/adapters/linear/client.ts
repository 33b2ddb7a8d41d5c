import { z } from 'zod';
import { SourceError } from '../../errors.ts';
import { sha256Hex } from '../../evidence/canonical-json.ts';
import type { LinearTicketData } from '../../evidence/documents.ts';
import type { TicketLookup, TicketSource } from '../../evidence/source-ports.ts';
import { type JsonRequest, requestJson, SourceAuthError } from '../http-json.ts';

/**
 * Linear's GraphQL API (`https://api.linear.app/graphql`) as a `TicketSource`. Keys are looked
 * up many at a time, one `issues` query per batch of 50 keys: a key `ENG-12` is the issue
 * numbered 12 of the team whose key is `ENG`, so the filter is, per team of the batch,
 * `{ team: { key: { eq: "ENG" } }, number: { in: [12, …] } }`, joined by `or` (the `id`
 * comparator compares Linear's UUIDs, not identifiers). Archived issues are included: an
 * archived ticket still exists. A key Linear does not return is recorded as not existing.
 */

export const LINEAR_API_URL = 'https://api.linear.app/graphql';
/** Keys per query: one page of Linear's default page size. */
const KEYS_PER_QUERY = 50;

export const TICKETS_BY_KEY_QUERY = `query TicketsByKey($filter: IssueFilter!, $first: Int!, $after: String) {
  issues(filter: $filter, first: $first, after: $after, includeArchived: true) {
    nodes {
      id
      identifier
      title
      url
      createdAt
      archivedAt
      team { key name }
      state { name type }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const VIEWER_QUERY = `query Viewer {
  viewer { id name email }
}`;

export interface LinearClientOptions {
  /** Default `https://api.linear.app/graphql`; the emulator's `<url>/linear/graphql` in tests. */
  readonly endpoint?: string;
  /** A personal API key (sent as is) or an OAuth access token (sent as `Bearer`). */
  readonly apiKey: string;
  readonly fetch?: typeof fetch;
  readonly backoffBaseMs?: number;
}

const issueSchema = z.object({
  id: z.string(),
  identifier: z.string(),
  title: z.string(),
  url: z.string(),
  createdAt: z.string(),
  archivedAt: z.string().nullable(),
  team: z.object({ key: z.string(), name: z.string() }),
  state: z.object({ name: z.string(), type: z.string() }),
});

const issuesAnswerSchema = z.object({
  issues: z.object({
    nodes: z.array(issueSchema),
    pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
  }),
});

const viewerAnswerSchema = z.object({
  viewer: z.object({ id: z.string(), name: z.string(), email: z.string() }),
});

const graphQlAnswerSchema = z.object({
  data: z.unknown().optional(),
  errors: z
    .array(
      z.object({
        message: z.string(),
        extensions: z.object({ type: z.string().optional(), code: z.string().optional() }).optional(),
      }),
    )
    .optional(),
});

export function createLinearClient(options: LinearClientOptions): TicketSource {
  const endpoint = options.endpoint ?? LINEAR_API_URL;
  const authorization = options.apiKey.startsWith('lin_api_') ? options.apiKey : `Bearer ${options.apiKey}`;

  async function query<T>(
    text: string,
    variables: Record<string, unknown>,
    schema: z.ZodType<T>,
  ): Promise<T> {
    const request: JsonRequest = {
      service: 'Linear',
      url: endpoint,
      method: 'POST',
      headers: { authorization },
      body: { query: text, variables },
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.backoffBaseMs !== undefined ? { backoffBaseMs: options.backoffBaseMs } : {}),
    };
    const answer = graphQlAnswerSchema.parse(await requestJson(request));
    if (answer.errors && answer.errors.length > 0) {
      const first = answer.errors[0]!;
      const kind = `${first.extensions?.type ?? ''} ${first.extensions?.code ?? ''}`.toLowerCase();
      if (kind.includes('authentication') || kind.includes('forbidden')) {
        throw new SourceAuthError(`Linear refused the API key: ${first.message}`);
      }
      throw new SourceError(`Linear answered with an error: ${first.message}`);
    }
    const parsed = schema.safeParse(answer.data);
    if (!parsed.success) {
      throw new SourceError(
        `Linear's answer does not have the expected shape: ${parsed.error.issues[0]?.message}`,
      );
    }
    return parsed.data;
  }

  return {
    endpoint,
    async identity() {
      const { viewer } = await query(VIEWER_QUERY, {}, viewerAnswerSchema);
      return `${viewer.name} <${viewer.email}>`;
    },
    async lookupTickets(keys): Promise<TicketLookup> {
      const wanted = [...new Set(keys.map((key) => key.toUpperCase()))].sort();
      const found = new Map<string, LinearTicketData['issue']>();
      let requests = 0;
      for (let i = 0; i < wanted.length; i += KEYS_PER_QUERY) {
        const batch = wanted.slice(i, i + KEYS_PER_QUERY);
        let after: string | null = null;
        do {
          const answer: z.infer<typeof issuesAnswerSchema> = await query(
            TICKETS_BY_KEY_QUERY,
            { filter: filterOfKeys(batch), first: KEYS_PER_QUERY, after },
            issuesAnswerSchema,
          );
          requests += 1;
          for (const issue of answer.issues.nodes) found.set(issue.identifier.toUpperCase(), issue);
          after = answer.issues.pageInfo.hasNextPage ? answer.issues.pageInfo.endCursor : null;
        } while (after !== null);
      }
      return {
        tickets: wanted.map((key) => {
          const issue = found.get(key) ?? null;
          return { key, exists: issue !== null, issue };
        }),
        provenance: {
          request: `GraphQL TicketsByKey sha256:${sha256Hex(TICKETS_BY_KEY_QUERY)}`,
          parameters: { keys: wanted, batchSize: KEYS_PER_QUERY },
          requests,
        },
      };
    },
  };
}

/** `{ or: [{ team: { key: { eq: "ENG" } }, number: { in: [12, 252] } }, …] }` for `ENG-12`, `ENG-252`, …. */
export function filterOfKeys(keys: readonly string[]): Record<string, unknown> {
  const byTeam = new Map<string, number[]>();
  for (const key of keys) {
    const match = /^([A-Z][A-Z0-9]*)-([0-9]+)$/.exec(key);
    if (!match) continue;
    byTeam.set(match[1]!, [...(byTeam.get(match[1]!) ?? []), Number(match[2])]);
  }
  return {
    or: [...byTeam.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([team, numbers]) => ({ team: { key: { eq: team } }, number: { in: numbers } })),
  };
}
