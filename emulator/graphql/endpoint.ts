/**
 * `POST /graphql`: parse, validate against GitHub's schema, check pagination and node limits,
 * price the query, then execute it against the world. Parsed and validated documents are cached
 * by query text, since collectors send the same few queries with different variables.
 */
import {
  type DocumentNode,
  execute,
  GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  parse,
  validate,
} from 'graphql';
import type { WorldView } from '../world-view.ts';
import {
  analyseQuery,
  type GitHubGraphQlError,
  selectOperation,
  toGitHubValidationErrors,
} from './analysis.ts';
import { githubSchema } from './github-schema.ts';
import { type GraphQlContext, queryRoot, resolveField, TypedGraphQlError, WorldGraph } from './models.ts';

export interface GraphQlRequestBody {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

/** A request that passed validation and analysis and can be charged and run. */
export interface PreparedQuery {
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
  readonly variables: Record<string, unknown>;
  readonly cost: number;
  readonly nodeCount: number;
}

export type Preparation = { ok: true; query: PreparedQuery } | { ok: false; errors: GitHubGraphQlError[] };

const DOCUMENT_CACHE_SIZE = 256;

export class GraphQlEndpoint {
  private readonly schema: GraphQLSchema = githubSchema();
  private readonly documents = new Map<
    string,
    { document: DocumentNode } | { errors: GitHubGraphQlError[] }
  >();

  private readonly graph: WorldGraph;

  constructor(view: WorldView) {
    this.graph = new WorldGraph(view);
  }

  prepare(body: GraphQlRequestBody): Preparation {
    if (typeof body.query !== 'string' || body.query.trim() === '') {
      return {
        ok: false,
        errors: [{ message: 'A query attribute must be specified and must be a string.' }],
      };
    }
    const parsed = this.parseAndValidate(body.query);
    if ('errors' in parsed) return { ok: false, errors: parsed.errors };
    const operationName = typeof body.operationName === 'string' ? body.operationName : undefined;
    const operation = selectOperation(parsed.document, operationName);
    if (!operation) {
      return {
        ok: false,
        errors: [
          {
            message: operationName
              ? `No operation named "${operationName}"`
              : 'An operation name is required when the document has more than one operation',
          },
        ],
      };
    }
    if (operation.operation !== 'query') {
      return {
        ok: false,
        errors: [{ type: 'NOT_EMULATED', message: `${operation.operation} is not emulated` }],
      };
    }
    const variables =
      body.variables !== null && typeof body.variables === 'object'
        ? (body.variables as Record<string, unknown>)
        : {};
    const analysis = analyseQuery(this.schema, parsed.document, operation, variables);
    if (analysis.errors.length > 0) return { ok: false, errors: analysis.errors };
    return {
      ok: true,
      query: {
        document: parsed.document,
        operation,
        variables,
        cost: analysis.cost,
        nodeCount: analysis.nodeCount,
      },
    };
  }

  async run(query: PreparedQuery, context: GraphQlContext): Promise<Record<string, unknown>> {
    const result = await execute({
      schema: this.schema,
      document: query.document,
      rootValue: queryRoot(this.graph, context),
      contextValue: context,
      variableValues: query.variables,
      operationName: query.operation.name?.value,
      fieldResolver: resolveField,
    });
    const body: Record<string, unknown> = {};
    if (result.errors && result.errors.length > 0) body.errors = result.errors.map(toGitHubExecutionError);
    if (result.data !== undefined) body.data = result.data;
    return body;
  }

  private parseAndValidate(query: string): { document: DocumentNode } | { errors: GitHubGraphQlError[] } {
    const cached = this.documents.get(query);
    if (cached) return cached;
    let entry: { document: DocumentNode } | { errors: GitHubGraphQlError[] };
    try {
      const document = parse(query);
      const errors = validate(this.schema, document);
      entry = errors.length > 0 ? { errors: toGitHubValidationErrors(document, errors) } : { document };
    } catch (error: unknown) {
      if (!(error instanceof GraphQLError)) throw error;
      entry = { errors: [toGitHubParseError(error)] };
    }
    if (this.documents.size >= DOCUMENT_CACHE_SIZE) {
      const oldest = this.documents.keys().next().value;
      if (oldest !== undefined) this.documents.delete(oldest);
    }
    this.documents.set(query, entry);
    return entry;
  }
}

/** graphql-ruby: `Parse error on "}" (RCURLY) at [3, 1]`. */
function toGitHubParseError(error: GraphQLError): GitHubGraphQlError {
  const location = error.locations?.[0];
  const found = /found (.+)\.$/.exec(error.message)?.[1] ?? 'end of file';
  return {
    message: location ? `Parse error on ${found} at [${location.line}, ${location.column}]` : error.message,
    locations: location ? [{ line: location.line, column: location.column }] : undefined,
  };
}

function toGitHubExecutionError(error: GraphQLError): GitHubGraphQlError {
  const original = error.originalError;
  return {
    ...(original instanceof TypedGraphQlError ? { type: original.type } : {}),
    ...(error.path ? { path: [...error.path] } : {}),
    ...(error.locations ? { locations: error.locations.map(({ line, column }) => ({ line, column })) } : {}),
    message: error.message,
  };
}
