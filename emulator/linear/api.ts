/**
 * Linear's GraphQL API over a world's `linear` section, at `POST /linear/graphql`: every query
 * is parsed and validated against Linear's published schema (the subset in
 * lambdas/adapters/linear/schema.ts) and executed with graphql-js, so a field or argument Linear
 * does not have is refused as Linear refuses it. Authentication as Linear's: a personal API key
 * in `Authorization` (as is) or an OAuth token as `Bearer`; errors in Linear's
 * `{ errors: [{ message, extensions: { type, code } }] }` form with HTTP 400.
 */
import { createHash } from 'node:crypto';
import { buildSchema, type GraphQLSchema, graphql, parse, validate } from 'graphql';
import { LINEAR_SCHEMA_SDL } from '../../lambdas/adapters/linear/schema.ts';
import type { LinearSection } from '../service-sections.ts';

export const LINEAR_EMULATOR_KEY = 'lin_api_emulator0000000000000000000000000000';
const DEFAULT_PAGE = 50;
const MAX_PAGE = 250;

export interface ServiceAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;
}

interface IssueNode {
  id: string;
  identifier: string;
  number: number;
  title: string;
  url: string;
  createdAt: string;
  archivedAt: string | null;
  team: { id: string; key: string; name: string };
  state: { id: string; name: string; type: string };
}

type Comparator = Record<string, unknown>;
type IssueFilter = {
  id?: Comparator;
  number?: Comparator;
  team?: { key?: Comparator };
  and?: IssueFilter[];
  or?: IssueFilter[];
};

/** Linear's workflow-state types, from the state names a world uses. */
const STATE_TYPES: Readonly<Record<string, string>> = {
  backlog: 'backlog',
  todo: 'unstarted',
  'in progress': 'started',
  'in review': 'started',
  done: 'completed',
  canceled: 'canceled',
  cancelled: 'canceled',
  duplicate: 'canceled',
};

export class LinearApi {
  private readonly schema: GraphQLSchema = buildSchema(LINEAR_SCHEMA_SDL);
  private readonly issues: IssueNode[];

  constructor(
    section: LinearSection,
    private readonly options: { readonly org: string; readonly now: string; readonly apiKey?: string },
  ) {
    const workspace = options.org.toLowerCase();
    const now = Date.parse(options.now);
    this.issues = section.issues
      .filter((issue) => Date.parse(issue.createdAt) <= now)
      .map((issue) => {
        const [key, number] = issue.identifier.split('-') as [string, string];
        const slug = issue.title
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '-')
          .replace(/^-|-$/g, '')
          .slice(0, 40);
        return {
          id: uuidOf(`issue ${issue.identifier}`),
          identifier: issue.identifier,
          number: Number(number),
          title: issue.title,
          url: `https://linear.app/${workspace}/issue/${issue.identifier}${slug ? `/${slug}` : ''}`,
          createdAt: new Date(issue.createdAt).toISOString(),
          archivedAt:
            issue.archivedAt !== null && Date.parse(issue.archivedAt) <= now
              ? new Date(issue.archivedAt).toISOString()
              : null,
          team: { id: uuidOf(`team ${key}`), key, name: issue.team ?? key },
          state: {
            id: uuidOf(`state ${key} ${issue.state}`),
            name: issue.state,
            type: STATE_TYPES[issue.state.toLowerCase()] ?? 'started',
          },
        };
      })
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.identifier.localeCompare(b.identifier));
  }

  async handle(request: { method: string; path: string; authorization: string | undefined; body: string }) {
    if (request.path !== '/linear/graphql') return linearError(404, 'Not found', 'NOT_FOUND');
    if (request.method !== 'POST') return linearError(405, 'Only POST is supported', 'METHOD_NOT_ALLOWED');
    const key = (request.authorization ?? '').replace(/^Bearer\s+/i, '').trim();
    if (key === '' || key !== (this.options.apiKey ?? LINEAR_EMULATOR_KEY)) {
      return linearError(
        400,
        'Authentication required, not authenticated',
        'AUTHENTICATION_ERROR',
        'authentication error',
      );
    }
    let body: { query?: unknown; variables?: unknown; operationName?: unknown };
    try {
      body = JSON.parse(request.body) as typeof body;
    } catch {
      return linearError(400, 'Invalid JSON body', 'BAD_USER_INPUT');
    }
    if (typeof body.query !== 'string')
      return linearError(400, 'Must provide query string.', 'BAD_USER_INPUT');
    let document: ReturnType<typeof parse>;
    try {
      document = parse(body.query);
    } catch (error: unknown) {
      return linearError(400, error instanceof Error ? error.message : String(error), 'GRAPHQL_PARSE_FAILED');
    }
    const problems = validate(this.schema, document);
    if (problems.length > 0) {
      return {
        status: 400,
        body: {
          errors: problems.map((problem) => ({
            message: problem.message,
            extensions: { type: 'graphql error', code: 'GRAPHQL_VALIDATION_FAILED' },
          })),
        },
        headers: {},
      } satisfies ServiceAnswer;
    }
    const result = await graphql({
      schema: this.schema,
      source: body.query,
      rootValue: this.root(),
      variableValues: (body.variables ?? {}) as Record<string, unknown>,
      ...(typeof body.operationName === 'string' ? { operationName: body.operationName } : {}),
    });
    if (result.errors && result.errors.length > 0) {
      return {
        status: result.data ? 200 : 400,
        body: {
          ...(result.data ? { data: result.data } : {}),
          errors: result.errors.map((error) => ({
            message: error.message,
            path: error.path,
            extensions: { type: 'invalid input', code: 'INVALID_INPUT' },
          })),
        },
        headers: {},
      } satisfies ServiceAnswer;
    }
    return { status: 200, body: { data: result.data }, headers: {} } satisfies ServiceAnswer;
  }

  private root() {
    const issues = this.issues;
    return {
      viewer: () => ({ id: uuidOf('viewer'), name: 'Linear Emulator', email: 'emulator@linear.invalid' }),
      issue: ({ id }: { id: string }) => {
        const found = issues.find(
          (issue) => issue.id === id || issue.identifier.toUpperCase() === id.toUpperCase(),
        );
        if (!found) throw new Error('Entity not found: Issue');
        return found;
      },
      issues: (args: { filter?: IssueFilter; first?: number; after?: string; includeArchived?: boolean }) => {
        const first = Math.min(args.first ?? DEFAULT_PAGE, MAX_PAGE);
        const matching = issues.filter(
          (issue) => (args.includeArchived || issue.archivedAt === null) && matches(issue, args.filter),
        );
        const start = args.after ? Number(Buffer.from(args.after, 'base64url').toString('utf8')) + 1 : 0;
        const nodes = matching.slice(start, start + first);
        const last = start + nodes.length - 1;
        return {
          nodes,
          pageInfo: {
            hasNextPage: last + 1 < matching.length,
            hasPreviousPage: start > 0,
            startCursor: nodes.length > 0 ? Buffer.from(String(start)).toString('base64url') : null,
            endCursor: nodes.length > 0 ? Buffer.from(String(last)).toString('base64url') : null,
          },
        };
      },
    };
  }
}

function matches(issue: IssueNode, filter: IssueFilter | undefined): boolean {
  if (!filter) return true;
  for (const [field, condition] of Object.entries(filter)) {
    if (condition === undefined || condition === null) continue;
    if (field === 'and' && !(condition as IssueFilter[]).every((part) => matches(issue, part))) return false;
    if (field === 'or' && !(condition as IssueFilter[]).some((part) => matches(issue, part))) return false;
    // As on Linear, the id comparator compares the issue's UUID; an identifier (ENG-12) matches nothing.
    if (field === 'id' && !compare([issue.id], condition as Comparator, false)) return false;
    if (field === 'number' && !compare([issue.number], condition as Comparator, false)) return false;
    if (field === 'team') {
      const key = (condition as { key?: Comparator }).key;
      if (key && !compare([issue.team.key], key, false)) return false;
    }
  }
  return true;
}

/** Linear's comparators; identifiers compare without regard to case, as Linear resolves them. */
function compare(values: readonly (string | number)[], comparator: Comparator, ignoreCase: boolean): boolean {
  const norm = (value: unknown) =>
    typeof value === 'string' && ignoreCase ? value.toUpperCase() : (value as string | number);
  const mine = values.map(norm);
  const hit = (value: unknown) => mine.includes(norm(value));
  for (const [op, operand] of Object.entries(comparator)) {
    if (operand === undefined || operand === null) continue;
    if (op === 'eq' && !hit(operand)) return false;
    if (op === 'neq' && hit(operand)) return false;
    if (op === 'in' && !(operand as unknown[]).some(hit)) return false;
    if (op === 'nin' && (operand as unknown[]).some(hit)) return false;
    if (
      op === 'eqIgnoreCase' &&
      !values.some((v) => String(v).toLowerCase() === String(operand).toLowerCase())
    )
      return false;
  }
  return true;
}

function linearError(status: number, message: string, code: string, type = 'invalid input'): ServiceAnswer {
  return {
    status,
    body: { errors: [{ message, extensions: { type, code, userPresentableMessage: message } }] },
    headers: {},
  };
}

/** A stable UUID-shaped id, so the same world always answers the same ids. */
function uuidOf(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
