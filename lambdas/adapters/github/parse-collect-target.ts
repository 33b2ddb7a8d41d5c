import { z } from 'zod';
import type { Window } from '../../core/window.ts';
import { InputError } from '../../errors.ts';

/**
 * Input checks shared by the deployment, override and emergency-trail collectors, and the
 * parser of `GET /repos/{owner}/{repo}`. Bad input is refused before any request or write.
 */

const NAME = /^[A-Za-z0-9_.-]+$/;

export interface RepoName {
  readonly owner: string;
  readonly name: string;
  /** `owner/name`, the `repo` of every document and index entry. */
  readonly fullName: string;
}

/** `org/name` of the collecting organisation, or an `InputError` naming `field`. */
export function parseRepoName(input: string, org: string, field = 'repo'): RepoName {
  const parts = input.split('/');
  const [owner, name] = parts;
  if (parts.length !== 2 || !owner || !name || !NAME.test(owner) || !NAME.test(name)) {
    throw new InputError(field, `"${input}" is not a repository in the form org/name`);
  }
  if (owner.toLowerCase() !== org.toLowerCase()) {
    throw new InputError(field, `"${input}" does not belong to the organisation ${org}`);
  }
  return { owner, name, fullName: `${owner}/${name}` };
}

/** A half-open window of valid times with `from < to`, not starting after `now`. */
export function checkWindow(window: Pick<Window, 'from' | 'to'>, now: Date, field = 'window'): void {
  const from = Date.parse(window.from);
  const to = Date.parse(window.to);
  if (Number.isNaN(from)) throw new InputError(`${field}.from`, `"${window.from}" is not an ISO-8601 time`);
  if (Number.isNaN(to)) throw new InputError(`${field}.to`, `"${window.to}" is not an ISO-8601 time`);
  if (to <= from) throw new InputError(`${field}.to`, `${window.to} does not come after ${window.from}`);
  if (from > now.getTime()) {
    throw new InputError(`${field}.from`, `${window.from} is after the current time ${now.toISOString()}`);
  }
}

const repositorySchema = z.object({ full_name: z.string().optional(), default_branch: z.string().min(1) });

/** `GET /repos/{owner}/{repo}` → the default branch's short name. */
export function parseDefaultBranch(json: unknown): string {
  return repositorySchema.parse(json).default_branch;
}
