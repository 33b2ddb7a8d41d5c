import type { CommitData } from '../../evidence/documents.ts';
import { shortSha } from '../change.ts';
import type { EvidenceRef } from '../pack-model.ts';
import type { EvidenceItem } from '../period-evidence.ts';
import { type Review, type RuleResult, result } from './rule.ts';

/**
 * Which approvals of a PR count for PEER-REVIEW, SECURITY-REVIEW, IAC-SIGNOFF and SEGREGATION:
 * only an independent person's, covering what was merged. GitHub's own "most recent push" rule,
 * made strict: whoever wrote or pushed any of the code cannot be its reviewer.
 */
export interface ApprovalReading {
  /** Approvals that count, oldest first. */
  readonly counted: readonly Review[];
  /** Why each other approval does not count, in plain words. */
  readonly refused: readonly string[];
  /**
   * Approvals that would count, but who pushed some of the PR's commits is not known (repository
   * activity out of reach): the approver may have pushed code of their own, so they prove nothing.
   */
  readonly unverified: readonly Review[];
  /** Why pushers are not known, when `unverified` is not empty. */
  readonly unverifiedBecause: readonly string[];
}

/** GitHub's own committer for commits made on github.com (web edits, squash merges): not a person. */
const GITHUB_COMMITTERS = new Set(['web-flow', 'github']);

const CO_AUTHORED_BY = /^\s*Co-authored-by:\s*(.*?)\s*<([^>]*)>\s*$/gim;
const NOREPLY = /^(?:\d+\+)?([^@]+)@users\.noreply\.github\.com$/i;

/** Logins (lower case) named as co-authors by a commit: GitHub's resolved list, and its trailers. */
export function coAuthorsOf(commit: CommitData): string[] {
  const logins = new Set((commit.coAuthors ?? []).map((login) => login.toLowerCase()));
  for (const match of commit.message.matchAll(CO_AUTHORED_BY)) {
    const name = (match[1] ?? '').trim();
    const email = (match[2] ?? '').trim();
    const noreply = NOREPLY.exec(email);
    if (noreply?.[1]) logins.add(noreply[1].replace(/\[bot\]$/i, '').toLowerCase());
    // A trailer names a person by name and e-mail; a name that is a login is taken as one.
    if (/^[A-Za-z0-9-]+$/.test(name)) logins.add(name.toLowerCase());
    const local = email.split('@')[0];
    if (local && /^[A-Za-z0-9-]+$/.test(local)) logins.add(local.toLowerCase());
  }
  return [...logins];
}

/** Everyone who authored, committed, co-authored or pushed a commit of the PR (lower-case logins). */
export function contributorsOf(pr: EvidenceItem<'pull-request'>): Map<string, string> {
  const who = new Map<string, string>();
  const add = (login: string | null | undefined, role: string) => {
    if (!login || GITHUB_COMMITTERS.has(login.toLowerCase())) return;
    const key = login.toLowerCase();
    if (!who.has(key)) who.set(key, role);
  };
  for (const commit of pr.doc.data.commits) {
    const at = `commit ${shortSha(commit.sha)}`;
    add(commit.author, `authored ${at}`);
    add(commit.committer, `committed ${at}`);
    for (const coAuthor of coAuthorsOf(commit)) add(coAuthor, `co-authored ${at}`);
    add(commit.pushedBy, `pushed ${at}`);
  }
  return who;
}

export function isBotLogin(login: string, type: string | undefined): boolean {
  return type === 'Bot' || /\[bot\]$/i.test(login);
}

/** Whether an approval covers the code that was merged: it names the head commit, or nothing was pushed after it. */
export function approvalCoversHead(pr: EvidenceItem<'pull-request'>, review: Review): boolean {
  const data = pr.doc.data;
  if (review.commitSha !== null) return review.commitSha === data.headSha;
  const submitted = Date.parse(review.submittedAt ?? data.mergedAt);
  return data.commits.every((commit) => Date.parse(commit.committedAt) <= submitted);
}

/** Read every approval of the PR: which count, and why each other one does not. */
export function readApprovals(pr: EvidenceItem<'pull-request'>): ApprovalReading {
  const data = pr.doc.data;
  const merged = Date.parse(data.mergedAt);
  const author = data.author?.login ?? null;
  const contributors = contributorsOf(pr);
  const counted: Review[] = [];
  const refused: string[] = [];
  const pushersUnknown = data.completeness
    .filter((entry) => entry.field === 'pushers')
    .map(
      (entry) =>
        `who pushed ${entry.total - entry.collected} of the PR's ${entry.total} commits is not known (${entry.reason})`,
    );
  const approvals = data.reviews
    .filter((review) => review.state === 'APPROVED' || review.previousState === 'APPROVED')
    .sort((a, b) => Date.parse(a.submittedAt ?? '') - Date.parse(b.submittedAt ?? ''));
  for (const review of approvals) {
    const who = review.author ?? 'an unknown user';
    const what = `the approval by ${who}${review.submittedAt ? ` at ${review.submittedAt}` : ''}`;
    if (review.author === null) {
      refused.push(`${what} has no author`);
    } else if (review.state !== 'APPROVED' || review.dismissedAt !== null) {
      refused.push(
        `${what} was dismissed${review.dismissedBy ? ` by ${review.dismissedBy}` : ''}${review.dismissedAt ? ` at ${review.dismissedAt}` : ''}`,
      );
    } else if (review.author === author) {
      refused.push(`the only approval is by the author ${who}`);
    } else if (isBotLogin(review.author, review.authorType)) {
      refused.push(`${what} is by a bot or app account, not a person`);
    } else if (contributors.has(review.author.toLowerCase())) {
      refused.push(
        `${what} does not count: ${who} ${contributors.get(review.author.toLowerCase())} of the PR`,
      );
    } else if (review.submittedAt === null || Date.parse(review.submittedAt) > merged) {
      refused.push(`${what} came after the merge at ${data.mergedAt}`);
    } else if (!approvalCoversHead(pr, review)) {
      refused.push(
        `${what} was given on ${review.commitSha ? `commit ${shortSha(review.commitSha)}` : 'an earlier version'}; ` +
          `code was pushed after it (merged head ${shortSha(data.headSha)})`,
      );
    } else {
      counted.push(review);
    }
  }
  if (pushersUnknown.length > 0 && counted.length > 0) {
    return { counted: [], refused, unverified: counted, unverifiedBecause: pushersUnknown };
  }
  return { counted, refused, unverified: [], unverifiedBecause: [] };
}

/**
 * The verdict when the only approvals that would count cannot be shown independent: who pushed
 * some commits is not known, so the approver may have pushed code of their own. Unknown, never pass.
 */
export function unverifiedApprovals(
  approvals: readonly Review[],
  because: readonly string[],
  evidence: readonly EvidenceRef[],
): RuleResult {
  const who = [...new Set(approvals.map((review) => review.author ?? 'an unknown user'))].sort().join(', ');
  return result(
    'unknown',
    [`the approval by ${who} counts only if ${who} pushed none of the PR's commits`, ...because],
    evidence,
  );
}
