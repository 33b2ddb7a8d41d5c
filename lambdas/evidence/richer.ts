import type { EvidenceDocument } from './documents.ts';

/**
 * Whether a newly read document withholds something the stored one holds: a re-collection that
 * reached less of GitHub (activity out of reach, the audit log gone, a deployment's statuses cut
 * short, a source now out of reach) must not replace the richer version as the current one.
 * Returns what the new one lacks, in plain words, or undefined when it is not poorer. A change
 * GitHub itself made (a label removed, a team member gone) is not "poorer": only lists that can
 * only grow, and sources that only disappear when they are out of reach, are compared.
 */
export function poorerThan(stored: EvidenceDocument, next: EvidenceDocument): string | undefined {
  if (stored.kind !== next.kind) return undefined;
  const lacks: string[] = [];
  const fewer = (what: string, before: number, after: number) => {
    if (after < before) lacks.push(`${after} ${what} instead of ${before}`);
  };
  switch (next.kind) {
    case 'branch-commit': {
      const was = stored.data as EvidenceDocument<'branch-commit'>['data'];
      const now = next.data as EvidenceDocument<'branch-commit'>['data'];
      if (was.activity !== null && now.activity === null) lacks.push('no repository-activity event');
      fewer('associated pull requests', was.associatedPullRequests.length, now.associatedPullRequests.length);
      break;
    }
    case 'deployment': {
      const was = stored.data as EvidenceDocument<'deployment'>['data'];
      const now = next.data as EvidenceDocument<'deployment'>['data'];
      fewer('statuses', was.statuses.length, now.statuses.length);
      if (was.workflowRun !== null && now.workflowRun === null) lacks.push('no workflow run');
      break;
    }
    case 'pull-request': {
      const was = stored.data as EvidenceDocument<'pull-request'>['data'];
      const now = next.data as EvidenceDocument<'pull-request'>['data'];
      fewer('checks', was.checks.length, now.checks.length);
      fewer('reviews', was.reviews.length, now.reviews.length);
      fewer('comments', was.comments.length, now.comments.length);
      fewer('commits', was.commits.length, now.commits.length);
      const pushers = (data: typeof was) =>
        data.commits.filter((commit) => commit.pushedBy !== undefined).length;
      fewer('commits with a known pusher', pushers(was), pushers(now));
      fewer('label events', was.labelEvents.length, now.labelEvents.length);
      break;
    }
    case 'override': {
      const was = stored.data as EvidenceDocument<'override'>['data'];
      const now = next.data as EvidenceDocument<'override'>['data'];
      const lost = was.sources.filter((source) => !now.sources.includes(source));
      if (lost.length > 0) lacks.push(`no longer seen in ${lost.join(', ')}`);
      if (was.commit !== null && now.commit === null) lacks.push('no commit');
      break;
    }
    // Branch protection is not compared: a snapshot of the day with less protection may be a
    // real removal, and protection the token cannot read is recorded as a gap instead.
    default:
      break;
  }
  return lacks.length > 0 ? lacks.join('; ') : undefined;
}
