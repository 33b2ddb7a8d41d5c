import { z } from 'zod';

/** `GET /orgs/{org}/teams/{team_slug}/members` items → member logins, sorted. */
export function parseTeamMembers(json: unknown): string[] {
  return z
    .array(z.object({ login: z.string() }))
    .parse(json)
    .map((member) => member.login)
    .sort((a, b) => a.localeCompare(b));
}
