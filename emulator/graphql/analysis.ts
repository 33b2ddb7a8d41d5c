/**
 * What github.com checks before it runs a query: the schema's validation rules (reworded as
 * GitHub words them), pagination boundaries on every connection (`first`/`last` present and at
 * most 100), the 500,000-node limit, and the query's cost by GitHub's published formula:
 * one request per connection times the page sizes of the connections around it, summed,
 * divided by 100, rounded, at least 1. A connection under `nodes(ids:)` counts once per id.
 */
import {
  type ASTNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLError,
  type GraphQLSchema,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  valueFromASTUntyped,
  visit,
} from 'graphql';

export const NODE_LIMIT = 500_000;
export const MAX_PAGE_SIZE = 100;

/** One error in GitHub's GraphQL error shape. */
export interface GitHubGraphQlError {
  type?: string;
  path?: (string | number)[];
  locations?: { line: number; column: number }[];
  extensions?: Record<string, unknown>;
  message: string;
}

export interface QueryAnalysis {
  readonly cost: number;
  readonly nodeCount: number;
  readonly errors: GitHubGraphQlError[];
}

export function selectOperation(
  document: DocumentNode,
  operationName: string | undefined,
): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  if (operationName) return operations.find((operation) => operation.name?.value === operationName);
  return operations.length === 1 ? operations[0] : undefined;
}

export function analyseQuery(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): QueryAnalysis {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const values: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    values[name] =
      name in variables
        ? variables[name]
        : definition.defaultValue
          ? valueFromASTUntyped(definition.defaultValue)
          : undefined;
  }
  const errors: GitHubGraphQlError[] = [];
  let requests = 0;
  let nodeCount = 0;
  let limitReported = false;
  const root = operation.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  if (!root) return { cost: 1, nodeCount: 0, errors };

  const walk = (
    selectionSet: SelectionSetNode,
    parent: GraphQLCompositeType,
    multiplier: number,
    path: string[],
    spreading: ReadonlySet<string>,
  ): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (type && isCompositeType(type)) walk(selection.selectionSet, type, multiplier, path, spreading);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || spreading.has(name)) continue;
        const type = schema.getType(fragment.typeCondition.name.value);
        if (type && isCompositeType(type)) {
          walk(fragment.selectionSet, type, multiplier, path, new Set([...spreading, name]));
        }
        continue;
      }
      const field = fieldOf(parent, selection);
      if (!field) continue;
      const fieldPath = [...path, selection.name.value];
      const type = getNamedType(field.type);
      let childMultiplier = multiplier;
      if (type.name.endsWith('Connection') && field.args.some((arg) => arg.name === 'first')) {
        const first = numberArgument(selection, 'first', values);
        const last = numberArgument(selection, 'last', values);
        const name = selection.name.value;
        const location = locationOf(selection);
        if (first === undefined && last === undefined) {
          errors.push({
            type: 'MISSING_PAGINATION_BOUNDARIES',
            path: fieldPath,
            locations: location,
            message: `You must provide a \`first\` or \`last\` value to properly paginate the \`${name}\` connection.`,
          });
          continue;
        }
        for (const [argument, value] of [
          ['first', first],
          ['last', last],
        ] as const) {
          if (value !== undefined && value > MAX_PAGE_SIZE) {
            errors.push({
              type: 'EXCESSIVE_PAGINATION',
              path: fieldPath,
              locations: location,
              message: `Requesting ${value} records on the \`${name}\` connection exceeds the \`${argument}\` limit of ${MAX_PAGE_SIZE} records.`,
            });
          }
          if (value !== undefined && value < 0) {
            errors.push({
              type: 'INVALID_PAGINATION',
              path: fieldPath,
              locations: location,
              message: `\`${argument}\` on the \`${name}\` connection cannot be less than zero.`,
            });
          }
        }
        const pageSize = Math.max(0, Math.min(MAX_PAGE_SIZE, first ?? last ?? 0));
        requests += multiplier;
        childMultiplier = multiplier * pageSize;
        nodeCount += childMultiplier;
        if (nodeCount > NODE_LIMIT && !limitReported) {
          limitReported = true;
          errors.push({
            type: 'MAX_NODE_LIMIT_EXCEEDED',
            path: fieldPath,
            locations: location,
            message: `By the time this query traverses to the ${name} connection, it is requesting up to ${nodeCount.toLocaleString('en-US')} possible nodes which exceeds the maximum limit of ${NODE_LIMIT.toLocaleString('en-US')}.`,
          });
        }
      }
      if (selection.name.value === 'nodes' && field.args.some((arg) => arg.name === 'ids')) {
        // `nodes(ids:)` is no connection, but every connection below it is fetched once per id:
        // priced like a connection of that many nodes (the conservative reading of the formula).
        const ids = listArgument(selection, 'ids', values);
        childMultiplier = multiplier * Math.max(1, ids);
        nodeCount += multiplier * ids;
      }
      if (selection.selectionSet && isCompositeType(type)) {
        walk(selection.selectionSet, type, childMultiplier, fieldPath, spreading);
      }
    }
  };
  walk(operation.selectionSet, root, 1, [operationLabel(operation)], new Set());
  return { cost: Math.max(1, Math.round(requests / 100)), nodeCount, errors };
}

function fieldOf(parent: GraphQLCompositeType, node: FieldNode) {
  if (!isObjectType(parent) && !isInterfaceType(parent)) return undefined;
  return parent.getFields()[node.name.value];
}

function numberArgument(
  node: FieldNode,
  name: string,
  variables: Record<string, unknown>,
): number | undefined {
  const argument = node.arguments?.find((arg) => arg.name.value === name);
  if (!argument) return undefined;
  const value = valueFromASTUntyped(argument.value, variables);
  return typeof value === 'number' ? value : undefined;
}

/** The length of a list argument (a literal list or a variable), 0 when absent. */
function listArgument(node: FieldNode, name: string, variables: Record<string, unknown>): number {
  const argument = node.arguments?.find((arg) => arg.name.value === name);
  if (!argument) return 0;
  const value = valueFromASTUntyped(argument.value, variables);
  return Array.isArray(value) ? value.length : 0;
}

function locationOf(node: ASTNode): { line: number; column: number }[] | undefined {
  const start = node.loc?.startToken;
  return start ? [{ line: start.line, column: start.column }] : undefined;
}

/** graphql-ruby names the operation in error paths: `query`, `query Name`, `fragment Name`. */
function operationLabel(operation: OperationDefinitionNode): string {
  return operation.name ? `${operation.operation} ${operation.name.value}` : operation.operation;
}

/** Paths of every field node as graphql-ruby prints them in validation errors. */
function fieldPaths(document: DocumentNode): Map<ASTNode, string[]> {
  const paths = new Map<ASTNode, string[]>();
  const stack: string[] = [];
  visit(document, {
    OperationDefinition: {
      enter(node) {
        stack.push(operationLabel(node));
      },
      leave() {
        stack.pop();
      },
    },
    FragmentDefinition: {
      enter(node) {
        stack.push(`fragment ${node.name.value}`);
      },
      leave() {
        stack.pop();
      },
    },
    Field: {
      enter(node) {
        stack.push(node.name.value);
        paths.set(node, [...stack]);
      },
      leave() {
        stack.pop();
      },
    },
  });
  return paths;
}

/** Reword graphql-js validation errors the way github.com (graphql-ruby) words them. */
export function toGitHubValidationErrors(
  document: DocumentNode,
  errors: readonly GraphQLError[],
): GitHubGraphQlError[] {
  const paths = fieldPaths(document);
  return errors.map((error) => {
    const node = error.nodes?.[0];
    const path = node ? paths.get(node) : undefined;
    const locations = error.locations?.map(({ line, column }) => ({ line, column }));
    const shaped = (message: string, extensions: Record<string, unknown>): GitHubGraphQlError => ({
      ...(path ? { path } : {}),
      extensions,
      locations,
      message,
    });
    let match = /^Cannot query field "([^"]+)" on type "([^"]+)"\./.exec(error.message);
    if (match) {
      const [, fieldName, typeName] = match;
      return shaped(`Field '${fieldName}' doesn't exist on type '${typeName}'`, {
        code: 'undefinedField',
        typeName,
        fieldName,
      });
    }
    match = /^Unknown argument "([^"]+)" on field "([^".]+)\.([^"]+)"\./.exec(error.message);
    if (match) {
      const [, argumentName, typeName, fieldName] = match;
      return shaped(`Field '${fieldName}' doesn't accept argument '${argumentName}'`, {
        code: 'argumentNotAccepted',
        name: fieldName,
        typeName: 'Field',
        argumentName,
        parentTypeName: typeName,
      });
    }
    match = /^Field "([^"]+)" argument "([^"]+)" of type "[^"]+" is required, but it was not provided\./.exec(
      error.message,
    );
    if (match) {
      const [, fieldName, argumentName] = match;
      return shaped(`Field '${fieldName}' is missing required arguments: ${argumentName}`, {
        code: 'missingRequiredArguments',
        className: 'Field',
        name: fieldName,
        arguments: argumentName,
      });
    }
    match = /^Field "([^"]+)" of type "([^"]+)" must have a selection of subfields\./.exec(error.message);
    if (match) {
      const [, fieldName, typeName = ''] = match;
      return shaped(
        `Field must have selections (field '${fieldName}' returns ${typeName.replace(/[[\]!]/g, '')} but has no selections. Did you mean '${fieldName} { ... }'?)`,
        {
          code: 'selectionMismatch',
          nodeName: `field '${fieldName}'`,
          typeName: typeName.replace(/[[\]!]/g, ''),
        },
      );
    }
    match = /^Field "([^"]+)" must not have a selection since type "([^"]+)" has no subfields\./.exec(
      error.message,
    );
    if (match) {
      const [, fieldName, typeName] = match;
      return shaped(`Selections can't be made on scalars (field '${fieldName}' returns ${typeName})`, {
        code: 'selectionMismatch',
        nodeName: `field '${fieldName}'`,
        typeName,
      });
    }
    match = /^Unknown type "([^"]+)"\./.exec(error.message);
    if (match) {
      return shaped(`No such type ${match[1]}, so it can't be a fragment condition`, {
        code: 'undefinedType',
        typeName: match[1],
      });
    }
    match = /^Variable "\$([^"]+)" is never used(?: in operation "([^"]+)")?\./.exec(error.message);
    if (match) {
      const by = match[2] ? match[2] : 'anonymous query';
      return shaped(`Variable $${match[1]} is declared by ${by} but not used`, {
        code: 'variableNotUsed',
        variableName: match[1],
      });
    }
    return shaped(error.message, { code: 'validationError' });
  });
}
