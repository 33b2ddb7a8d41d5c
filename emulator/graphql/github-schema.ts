/**
 * GitHub's published GraphQL schema (npm `@octokit/graphql-schema`), built once per process so
 * that queries are validated against exactly the fields github.com has.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema, type GraphQLSchema } from 'graphql';

let cached: GraphQLSchema | undefined;

export function githubSchema(): GraphQLSchema {
  if (!cached) cached = buildSchema(readFileSync(schemaFile(), 'utf8'), { assumeValidSDL: true });
  return cached;
}

// The package's `exports` hide `schema.graphql` from resolvers, so find it on disk.
function schemaFile(): string {
  const relative = join('node_modules', '@octokit', 'graphql-schema', 'schema.graphql');
  const starts = [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    let dir = start;
    for (;;) {
      const candidate = join(dir, relative);
      if (existsSync(candidate)) return candidate;
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error(`cannot find ${relative}: is @octokit/graphql-schema installed?`);
}
