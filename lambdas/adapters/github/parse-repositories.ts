import { z } from 'zod';

/** `GET /repos/{owner}/{repo}` or an item of `GET /orgs/{org}/repos`. */
const repositorySchema = z.object({
  name: z.string(),
  full_name: z.string(),
  default_branch: z.string().optional(),
  archived: z.boolean().optional(),
  fork: z.boolean().optional(),
});
export type RepositorySummary = z.infer<typeof repositorySchema>;

export function parseRepository(json: unknown): RepositorySummary {
  return repositorySchema.parse(json);
}

export function parseRepositories(json: unknown): RepositorySummary[] {
  return z.array(repositorySchema).parse(json);
}
