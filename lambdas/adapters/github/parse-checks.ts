import { z } from 'zod';
import type { CheckData } from '../../evidence/documents.ts';
import { isoUtc } from './parse-pull-requests.ts';

/**
 * Parsers of the REST lists that hold every run of every check of a commit (GitHub's
 * statusCheckRollup shows only the latest run of each check and the latest status of each
 * context): the commit's runs of every suite with `filter=all`, and every status posted.
 */

const appSchema = z.object({ id: z.number().int(), slug: z.string().optional() }).nullable();

const checkRunSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  head_sha: z.string(),
  status: z.string(),
  conclusion: z.string().nullable(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  check_suite: z.object({ id: z.number().int() }).nullable().optional(),
  app: appSchema.optional(),
});

/**
 * Runs of every suite of a commit (`GET /repos/{o}/{r}/commits/{ref}/check-runs`, `filter=all`):
 * each run names its own suite and app.
 */
export function parseCommitCheckRuns(json: unknown): CheckData[] {
  return z.array(checkRunSchema).parse(json).map(checkRunData);
}

function checkRunData(run: z.infer<typeof checkRunSchema>): CheckData {
  const appId = run.app?.id;
  const suiteId = run.check_suite?.id;
  return {
    name: run.name,
    kind: 'check_run' as const,
    app: run.app?.slug ?? null,
    ...(typeof appId === 'number' ? { appId } : {}),
    ...(suiteId !== undefined ? { suiteId: String(suiteId) } : {}),
    runId: run.id,
    commitSha: run.head_sha,
    status: run.status.toUpperCase(),
    conclusion: run.conclusion === null ? null : run.conclusion.toUpperCase(),
    startedAt: run.started_at ? isoUtc(run.started_at) : null,
    completedAt: run.completed_at ? isoUtc(run.completed_at) : null,
  };
}

const statusSchema = z.object({
  id: z.number().int(),
  state: z.string(),
  context: z.string(),
  created_at: z.string(),
  creator: z.object({ login: z.string(), type: z.string().optional() }).nullable(),
});

/**
 * Every status posted on a commit (newest first on GitHub), as the evidence stores checks. A
 * bot's login loses REST's `[bot]` suffix, as GraphQL writes it, and keeps its type.
 */
export function parseCommitStatuses(json: unknown, commitSha: string): CheckData[] {
  return z
    .array(statusSchema)
    .parse(json)
    .map((status) => {
      const state = status.state.toUpperCase();
      // A commit status is final unless pending, at its creation time.
      const pending = state === 'PENDING' || state === 'EXPECTED';
      const bot = status.creator?.type === 'Bot';
      return {
        name: status.context,
        kind: 'status' as const,
        app: status.creator
          ? bot
            ? status.creator.login.replace(/\[bot\]$/, '')
            : status.creator.login
          : null,
        ...(bot ? { creatorType: 'Bot' } : {}),
        runId: status.id,
        commitSha,
        status: pending ? 'PENDING' : 'COMPLETED',
        conclusion: state,
        startedAt: isoUtc(status.created_at),
        completedAt: pending ? null : isoUtc(status.created_at),
      };
    });
}
