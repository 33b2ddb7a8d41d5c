import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateWorld, OUTLIER_SIZES, TYPICAL_PR_LIMITS } from '../../emulator/generate-world.ts';
import { parseWorld } from '../../emulator/world.ts';
import {
  buildDemoWorld,
  DEMO_INCIDENTS,
  DEMO_MISSING_TICKET,
  DEMO_NOW,
  DEMO_PUSHES,
  DEMO_WORLD_FILE,
  demoBranchCommitSha,
  demoPushSha,
} from '../../emulator/worlds/build-demo.ts';
import { serializeWorld } from '../../emulator/worlds/history-builder.ts';
import type {
  WorldCheckDoc,
  WorldDeploymentDoc,
  WorldDocument,
  WorldPullRequestDoc,
  WorldRepoDoc,
} from '../../emulator/worlds/world-document.ts';
import {
  DEMO_CONTROL_IDS,
  DEMO_OUTSIDE_PERIOD,
  DEMO_WINDOW,
  demoChangeFailureRate,
  demoDeploymentFailureRate,
  demoDeploymentsByEnvironment,
  demoDirectPushes,
  demoEmergencies,
  demoExpectations,
  demoOverrides,
} from '../fixtures/demo-expectations.ts';

const demoText = readFileSync(DEMO_WORLD_FILE, 'utf8');
const demo = JSON.parse(demoText) as WorldDocument;

const TICKET_KEY = /[A-Z][A-Z0-9]{1,9}-[0-9]+/;
const LINEAR_LINK = /https:\/\/linear\.app\/[^/\s]+\/issue\/[A-Z][A-Z0-9]{1,9}-[0-9]+/;
const CATEGORY = {
  unit: /unit/,
  integration: /integration|e2e/,
  sca: /sca|dependency|audit/,
  sast: /sast|codeql|semgrep/,
};
const SECURITY_PATH = /(^|\/)(auth|crypto|pii)\/|secret|token|password/;
const HOUR_MS = 3_600_000;

function repo(name: string): WorldRepoDoc {
  const found = demo.repos.find((r) => r.name === name);
  if (!found) throw new Error(`no repo ${name}`);
  return found;
}

function pr(repoName: string, number: number): WorldPullRequestDoc {
  const found = repo(repoName).pullRequests.find((p) => p.number === number);
  if (!found) throw new Error(`no PR ${repoName}#${number}`);
  return found;
}

function headChecks(r: WorldRepoDoc, p: WorldPullRequestDoc): WorldCheckDoc[] {
  const head = p.commits.at(-1);
  return r.checks.filter((check) => check.commit === head);
}

function team(slug: string): string[] {
  return demo.teams[slug] ?? [];
}

function inOctober(time: string | null): boolean {
  if (time === null) return false;
  const t = Date.parse(time);
  return t >= Date.parse(DEMO_WINDOW.from) && t < Date.parse(DEMO_WINDOW.to);
}

/** SHAs of the default branch's first-parent history, newest first. */
function firstParentLine(r: WorldRepoDoc): string[] {
  const bySha = new Map(r.commits.map((c) => [c.sha, c]));
  const line: string[] = [];
  let sha: string | undefined = r.branches[r.defaultBranch];
  while (sha) {
    line.push(sha);
    sha = bySha.get(sha)?.parents[0];
  }
  return line;
}

function productionDeployments(r: WorldRepoDoc): WorldDeploymentDoc[] {
  return r.deployments.filter((d) => d.productionEnvironment);
}

function finalState(d: WorldDeploymentDoc): string | undefined {
  return d.statuses.at(-1)?.state;
}

function approvedByOtherOnHead(p: WorldPullRequestDoc): boolean {
  const head = p.commits.at(-1);
  return p.reviews.some(
    (review) =>
      review.state === 'APPROVED' &&
      review.author !== p.author &&
      review.commit === head &&
      Date.parse(review.submittedAt) <= Date.parse(p.mergedAt ?? ''),
  );
}

function allTimes(value: unknown, found: string[] = []): string[] {
  if (typeof value === 'string') {
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(value)) found.push(value);
  } else if (Array.isArray(value)) {
    for (const item of value) allTimes(item, found);
  } else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) allTimes(item, found);
  }
  return found;
}

describe('the demo organisation as a github-world/1 file', () => {
  it('is accepted by the emulator parser', () => {
    const world = parseWorld(demo);
    expect(world.org).toBe('acme');
    expect(world.plan).toBe('enterprise');
    expect(world.now).toBe(DEMO_NOW);
    expect(world.repos.map((r) => r.name)).toEqual(['payments-api', 'infra', 'web-app']);
  });

  it('is reproduced byte for byte by its builder', () => {
    expect(serializeWorld(buildDemoWorld())).toBe(demoText);
  });

  it('holds nothing dated after now', () => {
    const times = allTimes(demo);
    expect(times.length).toBeGreaterThan(1000);
    expect(times.filter((time) => Date.parse(time) > Date.parse(DEMO_NOW))).toEqual([]);
  });

  it('merges every PR onto the first-parent history of its default branch', () => {
    for (const r of demo.repos) {
      const line = new Set(firstParentLine(r));
      for (const p of r.pullRequests.filter((x) => x.mergedAt !== null)) {
        expect(p.baseRef).toBe(r.defaultBranch);
        expect(line.has(p.mergeCommit ?? ''), `${r.name}#${p.number}`).toBe(true);
      }
    }
  });

  it('dates every commit no earlier than its parents, squash merges with one parent and merges with two', () => {
    for (const r of demo.repos) {
      const bySha = new Map(r.commits.map((c) => [c.sha, c]));
      for (const commit of r.commits) {
        for (const parent of commit.parents) {
          expect(Date.parse(bySha.get(parent)!.committedAt)).toBeLessThanOrEqual(
            Date.parse(commit.committedAt),
          );
        }
      }
      for (const p of r.pullRequests.filter((x) => x.mergeCommit !== null)) {
        const merge = bySha.get(p.mergeCommit!)!;
        if (merge.parents.length === 2) expect(merge.parents[1]).toBe(p.commits.at(-1));
        else expect(merge.parents).toHaveLength(1);
      }
    }
    const parentCounts = demo.repos.flatMap((r) =>
      r.pullRequests
        .filter((p) => p.mergeCommit)
        .map((p) => r.commits.find((c) => c.sha === p.mergeCommit)!.parents.length),
    );
    expect(parentCounts).toContain(1);
    expect(parentCounts).toContain(2);
  });

  it('records an activity event for every move of a default branch, pr_merge for merges and push for pushes', () => {
    for (const r of demo.repos) {
      const line = firstParentLine(r).reverse();
      // A PR whose head was pushed straight to the branch is marked merged with that head as its
      // "merge commit"; the branch moved by a push, so only real merge commits are pr_merge.
      const merges = new Set(
        r.pullRequests
          .filter((p) => p.mergeCommit && !p.commits.includes(p.mergeCommit))
          .map((p) => p.mergeCommit),
      );
      for (let i = 1; i < line.length; i++) {
        const event = r.activity.find((a) => a.after === line[i]);
        expect(event, `${r.name} ${line[i]}`).toBeDefined();
        expect(event!.before).toBe(line[i - 1]);
        expect(event!.activityType).toBe(merges.has(line[i]!) ? 'pr_merge' : 'push');
      }
    }
  });

  it('has September history and a November merge outside the October window', () => {
    const merged = demo.repos.flatMap((r) => r.pullRequests.filter((p) => p.mergedAt !== null));
    expect(merged.some((p) => p.mergedAt!.startsWith('2026-09'))).toBe(true);
    expect(merged.some((p) => p.mergedAt!.startsWith('2026-11'))).toBe(true);
    expect(pr('payments-api', 103).createdAt.startsWith('2026-09')).toBe(true);
    expect(inOctober(pr('payments-api', 103).mergedAt)).toBe(true);
  });
});

describe('the demo scenarios', () => {
  it('has a fully compliant PR: ticket, four CI categories green before merge, peer approval on head, signed, change record, pipeline deploy', () => {
    const r = repo('payments-api');
    const p = pr('payments-api', 110);
    expect(p.title).toMatch(TICKET_KEY);
    const checks = headChecks(r, p);
    for (const pattern of Object.values(CATEGORY)) {
      const matching = checks.filter((c) => pattern.test(c.name));
      expect(matching.length).toBeGreaterThan(0);
      for (const c of matching) {
        expect(c.conclusion).toBe('SUCCESS');
        expect(Date.parse(c.completedAt!)).toBeLessThanOrEqual(Date.parse(p.mergedAt!));
      }
    }
    expect(approvedByOtherOnHead(p)).toBe(true);
    const shas = [...p.commits, p.mergeCommit!];
    expect(shas.every((sha) => r.commits.find((c) => c.sha === sha)!.signature?.valid)).toBe(true);
    for (const section of ['Description', 'Systems affected', 'Risk', 'Rollback'])
      expect(p.body).toContain(`## ${section}`);
    const deployments = r.deployments.filter((d) => d.sha === p.mergeCommit);
    expect(deployments.map((d) => d.environment)).toEqual(['staging', 'canary', 'production']);
    for (const d of deployments) {
      expect(d.creator).toBe('deploy-bot');
      expect(d.performedViaApp).toBe('github-actions');
      expect(finalState(d)).toBe('success');
    }
    expect(demo.users.find((u) => u.login === 'deploy-bot')?.type).toBe('Bot');
  });

  it('has a self-merged PR without review and a standard-change self-merge', () => {
    const selfMerged = pr('payments-api', 111);
    expect(selfMerged.reviews).toEqual([]);
    expect(selfMerged.mergedBy).toBe(selfMerged.author);
    const standard = pr('web-app', 314);
    expect(standard.reviews).toEqual([]);
    expect(standard.mergedBy).toBe(standard.author);
    expect(standard.labels.map((l) => l.name)).toContain('standard-change');
  });

  it('has an approval followed by more code, and a dismissed approval', () => {
    const pushedAfter = pr('payments-api', 112);
    const approval = pushedAfter.reviews.find((r) => r.state === 'APPROVED')!;
    expect(approval.commit).not.toBe(pushedAfter.commits.at(-1));
    const head = repo('payments-api').commits.find((c) => c.sha === pushedAfter.commits.at(-1))!;
    expect(Date.parse(head.committedAt)).toBeGreaterThan(Date.parse(approval.submittedAt));

    const dismissed = pr('web-app', 313);
    expect(dismissed.reviews).toHaveLength(1);
    expect(dismissed.reviews[0]).toMatchObject({
      state: 'DISMISSED',
      previousState: 'APPROVED',
      dismissedBy: 'bob',
    });
    expect(approvedByOtherOnHead(dismissed)).toBe(false);
  });

  it('has a PR with no ticket and one linked only by a linear.app URL in the body', () => {
    const noTicket = pr('infra', 45);
    expect(`${noTicket.title} ${noTicket.headRef}`).not.toMatch(TICKET_KEY);
    expect(noTicket.body).not.toMatch(LINEAR_LINK);
    const linkOnly = pr('web-app', 310);
    expect(`${linkOnly.title} ${linkOnly.headRef}`).not.toMatch(TICKET_KEY);
    expect(linkOnly.body).toMatch(LINEAR_LINK);
  });

  it('has failed CI, CI completed after the merge, and a required check missing on the head', () => {
    const web = repo('web-app');
    const failed = pr('web-app', 311);
    expect(headChecks(web, failed).find((c) => c.name === 'npm-audit')?.conclusion).toBe('FAILURE');
    const late = pr('web-app', 312);
    const codeql = headChecks(web, late).find((c) => c.name === 'codeql')!;
    expect(Date.parse(codeql.completedAt!)).toBeGreaterThan(Date.parse(late.mergedAt!));
    const payments = repo('payments-api');
    const missing = pr('payments-api', 118);
    const names = headChecks(payments, missing).map((c) => c.name);
    expect(payments.protection?.requiredStatusChecks).toContain('sast');
    expect(names).not.toContain('sast');
  });

  it('has security changes with and without a Security Champ, and a security-labelled PR', () => {
    const champs = team('security-champs');
    const withChamp = pr('payments-api', 113);
    expect(withChamp.files.some((f) => SECURITY_PATH.test(f.path))).toBe(true);
    expect(withChamp.reviews.some((r) => r.state === 'APPROVED' && champs.includes(r.author))).toBe(true);
    const withoutChamp = pr('payments-api', 114);
    expect(withoutChamp.files.some((f) => f.path.startsWith('src/pii/'))).toBe(true);
    expect(withoutChamp.reviews.some((r) => champs.includes(r.author))).toBe(false);
    const labelled = pr('payments-api', 115);
    expect(labelled.labels.map((l) => l.name)).toContain('security');
    expect(labelled.files.some((f) => SECURITY_PATH.test(f.path))).toBe(false);
  });

  it('keeps security paths out of every PR that is not a security scenario', () => {
    // #130 and #135 are the real-organisation security scenarios (first-commit approval, new paths).
    const securityScenarios = new Set([
      'payments-api#113',
      'payments-api#114',
      'payments-api#130',
      'payments-api#135',
    ]);
    for (const r of demo.repos) {
      for (const p of r.pullRequests) {
        if (securityScenarios.has(`${r.name}#${p.number}`)) continue;
        expect(
          p.files.filter((f) => SECURITY_PATH.test(f.path)),
          `${r.name}#${p.number}`,
        ).toEqual([]);
      }
    }
  });

  it('has IaC changes (lib/ in the CDK repository, a .tf file) with and without SRE sign-off', () => {
    const sre = team('sre');
    const approvers = (p: WorldPullRequestDoc) =>
      p.reviews.filter((r) => r.state === 'APPROVED').map((r) => r.author);
    const signedOff = pr('infra', 41);
    expect(signedOff.files.some((f) => /^lib\/.*\.ts$/.test(f.path))).toBe(true);
    expect(approvers(signedOff).some((a) => sre.includes(a))).toBe(true);
    const cdkUnsigned = pr('infra', 42);
    expect(cdkUnsigned.files.some((f) => /^lib\/.*\.ts$/.test(f.path))).toBe(true);
    expect(approvers(cdkUnsigned).some((a) => sre.includes(a))).toBe(false);
    const terraform = pr('infra', 43);
    expect(terraform.files.some((f) => f.path.endsWith('.tf'))).toBe(true);
    expect(approvers(terraform).some((a) => sre.includes(a))).toBe(false);
  });

  it('has unsigned commits in a PR and an unsigned merge commit', () => {
    const payments = repo('payments-api');
    const signatureOf = (sha: string) => payments.commits.find((c) => c.sha === sha)!.signature;
    const unsignedCommits = pr('payments-api', 116);
    expect(unsignedCommits.commits.filter((sha) => signatureOf(sha) === null)).toHaveLength(2);
    const unsignedMerge = pr('payments-api', 117);
    expect(signatureOf(unsignedMerge.mergeCommit!)).toBeNull();
    expect(unsignedMerge.commits.every((sha) => signatureOf(sha) !== null)).toBe(true);
  });

  it('has an emergency done right, labelled by the on-call commander outside the GitHub team, post-mortem four days after the merge', () => {
    const commanders = team('incident-commanders');
    const p = pr('payments-api', 119);
    const label = p.labels.find((l) => l.name === 'emergency-change')!;
    expect(commanders).not.toContain(label.addedBy);
    const onCall = (demo.betterStack?.onCall ?? []).filter(
      (shift) =>
        shift.calendar === 'Incident Commanders' &&
        Date.parse(shift.from) <= Date.parse(label.addedAt) &&
        Date.parse(label.addedAt) < Date.parse(shift.to),
    );
    expect(onCall.map((shift) => shift.login)).toEqual([label.addedBy]);
    const merged = Date.parse(p.mergedAt!);
    const retrospective = p.comments.find((c) => /retrospective/i.test(c.body))!;
    expect(Date.parse(retrospective.createdAt) - merged).toBeLessThanOrEqual(24 * HOUR_MS);
    const postMortem = p.comments.find((c) => /post-?mortem\W+https?:\/\//i.test(c.body))!;
    const delay = Date.parse(postMortem.createdAt) - merged;
    expect(delay).toBeGreaterThanOrEqual(4 * 24 * HOUR_MS);
    expect(delay).toBeLessThanOrEqual(120 * HOUR_MS);
  });

  it('has emergencies done wrong: labelled by a non-commander, and without a post-mortem link', () => {
    const commanders = team('incident-commanders');
    const wrongLabeller = pr('web-app', 315);
    expect(commanders).not.toContain(
      wrongLabeller.labels.find((l) => l.name === 'emergency-change')!.addedBy,
    );
    const noPostMortem = pr('web-app', 316);
    expect(commanders).toContain(noPostMortem.labels.find((l) => l.name === 'emergency-change')!.addedBy);
    expect(noPostMortem.comments.some((c) => /retrospective/i.test(c.body))).toBe(true);
    expect(
      [noPostMortem.body, ...noPostMortem.comments.map((c) => c.body)].some((b) =>
        /post-?mortem\W+https?:\/\//i.test(b),
      ),
    ).toBe(false);
  });

  it('has direct pushes to main that no override covers: the footer typo, a late push and a PR head', () => {
    const web = repo('web-app');
    const pushed = web.activity.filter((a) => a.activityType === 'push').map((a) => a.after);
    const typo = demoPushSha('web-app', DEMO_PUSHES.footerTypo.label);
    const late = demoPushSha('web-app', DEMO_PUSHES.latePush.label);
    const head = demoBranchCommitSha('web-app', 324, 0);
    expect(pushed.sort()).toEqual([typo, late, head].sort());
    for (const sha of pushed) {
      expect(demo.auditLog.some((e) => e.after === sha)).toBe(false);
      expect(web.ruleSuites.some((s) => s.afterSha === sha)).toBe(false);
    }
    for (const sha of [typo, late]) {
      expect(web.pullRequests.some((p) => p.mergeCommit === sha || p.commits.includes(sha))).toBe(false);
    }
  });

  it('has a commit made on 29 September and pushed to main on 2 October', () => {
    const web = repo('web-app');
    const late = demoPushSha('web-app', DEMO_PUSHES.latePush.label);
    const commit = web.commits.find((c) => c.sha === late)!;
    expect(commit.committedAt).toBe('2026-09-29T16:00:00Z');
    expect(commit.authoredAt).toBe('2026-09-29T16:00:00Z');
    const event = web.activity.find((a) => a.after === late)!;
    expect(event).toMatchObject({ activityType: 'push', actor: 'grace', timestamp: '2026-10-02T09:00:00Z' });
    // A fast-forward: main did not move between the commit and the push.
    expect(commit.parents).toEqual([event.before]);
  });

  it('has a PR whose head was pushed straight to main, which GitHub marks merged', () => {
    const web = repo('web-app');
    const p = pr('web-app', 324);
    const head = demoBranchCommitSha('web-app', 324, 0);
    expect(p.commits).toEqual([head]);
    expect(p).toMatchObject({ mergeCommit: head, mergedBy: 'bob', mergedAt: '2026-10-30T09:00:00Z' });
    expect(p.reviews).toEqual([]);
    expect(web.activity.find((a) => a.after === head)).toMatchObject({ activityType: 'push', actor: 'bob' });
  });

  it('has a PR on which scala-compile ran and no SCA check did, in a repository without required checks', () => {
    const web = repo('web-app');
    const names = headChecks(web, pr('web-app', 325)).map((c) => c.name);
    expect(names).toContain('scala-compile');
    expect(names).not.toContain('npm-audit');
    expect(names.filter((n) => /(^|[^a-z0-9])(sca|dependency|audit)([^a-z0-9]|$)/i.test(n))).toEqual([]);
    expect(web.protection).toBeNull();
  });

  it('has a justified override by an approver and an unjustified one by someone else, each in the audit log', () => {
    const approvers = team('override-approvers');
    const overrides = demo.auditLog.filter((e) => e.action === 'protected_branch.policy_override');
    expect(overrides).toHaveLength(3);
    const commitOf = (repoFullName: string, sha: string) =>
      repo(repoFullName.split('/')[1]!).commits.find((c) => c.sha === sha)!;
    const justified = overrides.find((e) => approvers.includes(e.actor))!;
    expect(commitOf(justified.repo, justified.after).message).toMatch(/^Justification: \S/m);
    expect(commitOf(justified.repo, justified.after).message).toMatch(/^Risk: \S/m);
    const unjustified = overrides.find(
      (e) => e.after === demoPushSha('infra', DEMO_PUSHES.natGateways.label) && !approvers.includes(e.actor),
    )!;
    expect(commitOf(unjustified.repo, unjustified.after).message).not.toMatch(/Justification:|Approved-by:/);
    // The pusher names an approver in an Approved-by trailer; she left no trace on the change.
    const trailer = overrides.find(
      (e) => e.after === demoPushSha('infra', DEMO_PUSHES.selfApprovedTrailer.label),
    )!;
    expect(approvers).not.toContain(trailer.actor);
    expect(commitOf(trailer.repo, trailer.after).message).toMatch(/^Approved-by: @heidi$/m);
    expect(approvers).toContain('heidi');
    expect(demo.auditLog.filter((e) => e.actor === 'heidi')).toEqual([]);
  });

  it('has a ruleset bypass in the rule suites that matches a push activity', () => {
    const infra = repo('infra');
    const bypass = infra.ruleSuites.find((s) => s.result === 'bypass')!;
    const activity = infra.activity.find((a) => a.after === bypass.afterSha)!;
    expect(activity.activityType).toBe('push');
    expect(activity.before).toBe(bypass.beforeSha);
    expect(activity.actor).toBe(bypass.actor);
  });

  it('has a production deploy that skipped canary and one made by hand', () => {
    const web = repo('web-app');
    const skipped = web.deployments.filter((d) => d.sha === pr('web-app', 317).mergeCommit);
    expect(skipped.map((d) => d.environment)).toEqual(['staging', 'production']);
    const payments = repo('payments-api');
    const byHand = productionDeployments(payments).find(
      (d) => d.sha === pr('payments-api', 121).mergeCommit,
    )!;
    expect(byHand.creator).toBe('frank');
    expect(byHand.performedViaApp).toBeNull();
    expect(demo.users.find((u) => u.login === 'frank')?.type).toBe('User');
  });

  it('has a failed production deploy rolled back to the previous SHA within 60 minutes, and one not rolled back', () => {
    const rolledBackWithin = (r: WorldRepoDoc, failed: WorldDeploymentDoc): boolean => {
      const production = productionDeployments(r);
      const earlier = production.filter(
        (d) => Date.parse(d.createdAt) < Date.parse(failed.createdAt) && finalState(d) === 'success',
      );
      const previousGood = earlier.at(-1)?.sha;
      const failedAt = Date.parse(failed.statuses.at(-1)!.createdAt);
      return production.some(
        (d) =>
          d.sha === previousGood &&
          Date.parse(d.createdAt) > failedAt &&
          Date.parse(d.createdAt) - failedAt <= 60 * 60_000 &&
          finalState(d) === 'success',
      );
    };
    const payments = repo('payments-api');
    const failedPayments = productionDeployments(payments).filter((d) => finalState(d) === 'failure');
    expect(failedPayments).toHaveLength(1);
    expect(rolledBackWithin(payments, failedPayments[0]!)).toBe(true);
    const web = repo('web-app');
    const failedWeb = productionDeployments(web).filter((d) => finalState(d) === 'failure');
    expect(failedWeb).toHaveLength(1);
    expect(rolledBackWithin(web, failedWeb[0]!)).toBe(false);
    expect(failedWeb[0]!.statuses.some((s) => s.state === 'inactive')).toBe(false);
  });

  it('has a PR body without change-record sections and an emoji title', () => {
    expect(pr('payments-api', 124).body).not.toMatch(/Description|Systems affected|Risk|Rollback/);
    expect(pr('payments-api', 125).title).toMatch(/\p{Extended_Pictographic}/u);
    expect(pr('web-app', 310).body).toContain('**Systems affected:**');
  });

  it('has the outliers: a PR with 300 commits, one with 3,000 files and one with 150 checks on its head', () => {
    expect(pr('web-app', 319).commits).toHaveLength(300);
    expect(pr('web-app', 320).files).toHaveLength(3000);
    expect(headChecks(repo('payments-api'), pr('payments-api', 126))).toHaveLength(150);
  });
});

describe('the expected October verdicts agree with the world', () => {
  it('lists as population exactly the October PR merges, direct pushes and production deploys of unmerged code', () => {
    const fromWorld = demo.repos.flatMap((r) => {
      // A PR whose head was pushed straight to main is marked merged, but is a direct push.
      const merges = r.pullRequests
        .filter((p) => inOctober(p.mergedAt) && !(p.mergeCommit && p.commits.includes(p.mergeCommit)))
        .map((p) => `acme/${r.name} ${p.mergeCommit} pull_request #${p.number}`);
      const pushes = r.activity
        .filter((a) => a.activityType === 'push' && inOctober(a.timestamp))
        .map((a) => `acme/${r.name} ${a.after} direct_push #null`);
      // Production deployments of a SHA no default-branch move or merged PR ever brought.
      const landed = new Set([
        ...r.activity.map((a) => a.after),
        ...r.pullRequests.flatMap((p) => (p.mergedAt ? [...p.commits, p.mergeCommit] : [])),
        ...r.commits.filter((c) => c.committer === 'web-flow').map((c) => c.sha),
      ]);
      const unmergedDeploys = r.deployments
        .filter((d) => d.environment === 'production' && inOctober(d.createdAt) && !landed.has(d.sha))
        .map((d) => `acme/${r.name} ${d.sha} production_deploy #null`);
      return [...merges, ...pushes, ...unmergedDeploys];
    });
    for (const profile of ['clerk-cm01', 'clicki'] as const) {
      const expected = demoExpectations[profile].map(
        (c) => `${c.repo} ${c.commitSha} ${c.changeType} #${c.prNumber}`,
      );
      expect(expected.sort()).toEqual([...fromWorld].sort());
    }
    for (const outside of DEMO_OUTSIDE_PERIOD) {
      expect(
        demoExpectations['clerk-cm01'].some(
          (c) => c.repo === outside.repo && c.prNumber === outside.prNumber,
        ),
      ).toBe(false);
    }
  });

  it('gives every change a verdict for every control, and differs between profiles only where standard changes and documented emergencies are exempt', () => {
    const clerk = demoExpectations['clerk-cm01'];
    const clicki = demoExpectations.clicki;
    for (const change of [...clerk, ...clicki]) {
      expect(Object.keys(change.verdicts).sort()).toEqual([...DEMO_CONTROL_IDS].sort());
      expect(change.why.length).toBeGreaterThan(10);
    }
    const differing = clerk.flatMap((change, i) =>
      DEMO_CONTROL_IDS.filter((id) => change.verdicts[id] !== clicki[i]!.verdicts[id]).map(
        (id) => `${change.repo}#${change.prNumber} ${id}`,
      ),
    );
    expect(differing.sort()).toEqual(
      [
        'acme/payments-api#119 PEER-REVIEW',
        'acme/payments-api#119 SEGREGATION',
        'acme/payments-api#120 PEER-REVIEW',
        'acme/payments-api#120 SEGREGATION',
        // A unit status a person posted meets the required check (Clicki) but not Clerk's unit category.
        'acme/payments-api#133 CI-PASSED',
        'acme/web-app#314 PEER-REVIEW',
        // scala-compile is no SCA check: Clerk requires the SCA category, Clicki no category.
        'acme/web-app#325 CI-PASSED',
      ].sort(),
    );
    expect(pr('web-app', 314).labels.map((l) => l.name)).toContain('standard-change');
  });

  it('exercises every per-change control both passing and failing under each profile', () => {
    const periodLevel = new Set(['RETENTION', 'CHANGE-FAILURE-RATE']);
    for (const profile of ['clerk-cm01', 'clicki'] as const) {
      for (const id of DEMO_CONTROL_IDS.filter((x) => !periodLevel.has(x))) {
        const verdicts = new Set(demoExpectations[profile].map((c) => c.verdicts[id]));
        expect(verdicts.has('pass') && verdicts.has('fail'), `${profile} ${id}`).toBe(true);
      }
    }
  });

  it('counts October deployments per environment and the change-failure rate as the world holds them', () => {
    const october = demo.repos.flatMap((r) => r.deployments.filter((d) => inOctober(d.createdAt)));
    const count = (environment: string) => october.filter((d) => d.environment === environment).length;
    expect(count('staging')).toBe(demoDeploymentsByEnvironment.staging);
    expect(count('canary')).toBe(demoDeploymentsByEnvironment.canary);
    expect(count('production')).toBe(demoDeploymentsByEnvironment.production);
    // The canary stage is the environment named canary, even where GitHub flags it production (#139).
    const production = october.filter((d) => d.productionEnvironment && d.environment !== 'canary');
    const failed = production.filter((d) => ['failure', 'error'].includes(finalState(d) ?? ''));
    expect(failed.length).toBe(demoDeploymentFailureRate.numerator);
    expect(production.length).toBe(demoDeploymentFailureRate.denominator);
    expect(demoDeploymentFailureRate.rate).toBeGreaterThan(demoDeploymentFailureRate.threshold);
  });

  it('has Better Stack incidents caused by changes (by PR URL, org/repo#n and merge SHA) and incidents caused by none', () => {
    const incidents = demo.betterStack?.incidents ?? [];
    expect(incidents.map((incident) => incident.id).sort()).toEqual(DEMO_INCIDENTS.map((i) => i.id).sort());
    for (const expected of DEMO_INCIDENTS) {
      const refs = (incidents.find((incident) => incident.id === expected.id)?.references ?? []).join(' ');
      if (expected.causedBy === null) {
        expect(refs).toBe('');
        continue;
      }
      const { repo: name, pr: number } = expected.causedBy;
      const named =
        refs.includes(`acme/${name}#${number}`) ||
        refs.includes(`github.com/acme/${name}/pull/${number}`) ||
        refs.includes(pr(name, number).mergeCommit!);
      expect(named, `${expected.id} names ${name}#${number}`).toBe(true);
    }
    expect(DEMO_INCIDENTS.filter((i) => i.causedBy !== null)).toHaveLength(demoChangeFailureRate.numerator);
  });

  it('has every ticket its PRs name in Linear, but the one missing ticket', () => {
    const known = new Set((demo.linear?.issues ?? []).map((issue) => issue.identifier));
    expect(known.has(DEMO_MISSING_TICKET.key)).toBe(false);
    expect(pr(DEMO_MISSING_TICKET.repo, DEMO_MISSING_TICKET.pr).title).toContain(DEMO_MISSING_TICKET.key);
    for (const r of demo.repos) {
      for (const p of r.pullRequests) {
        for (const key of p.title.match(/\b[A-Z][A-Z0-9]{1,9}-[0-9]+\b/g) ?? []) {
          if (key !== DEMO_MISSING_TICKET.key)
            expect(known.has(key), `${r.name}#${p.number} ${key}`).toBe(true);
        }
      }
    }
  });

  it('names overrides, emergencies and direct pushes that exist in the world', () => {
    for (const override of demoOverrides) {
      const name = override.repo.split('/')[1]!;
      expect(demo.auditLog.some((e) => e.after === override.afterSha && e.actor === override.actor)).toBe(
        true,
      );
      expect(
        repo(name).ruleSuites.some((s) => s.afterSha === override.afterSha && s.result === 'bypass'),
      ).toBe(true);
      expect(repo(name).activity.some((a) => a.after === override.afterSha)).toBe(true);
    }
    for (const emergency of demoEmergencies) {
      const p = pr(emergency.repo.split('/')[1]!, emergency.prNumber);
      expect(p.labels.find((l) => l.name === 'emergency-change')?.addedBy).toBe(emergency.labelledBy);
    }
    for (const push of demoDirectPushes) {
      const r = repo(push.repo.split('/')[1]!);
      expect(r.activity.find((a) => a.after === push.commitSha)).toMatchObject({
        activityType: 'push',
        actor: push.actor,
      });
      expect(demo.auditLog.some((e) => e.after === push.commitSha)).toBe(push.coveredByOverride);
    }
  });
});

describe('generateWorld', () => {
  let big: WorldDocument;
  beforeAll(() => {
    big = generateWorld({ seed: 7, repos: 10, pullRequests: 1200 });
  });

  it('gives the same world for the same seed and a different one for another seed', () => {
    const again = generateWorld({ seed: 7, repos: 10, pullRequests: 1200 });
    expect(serializeWorld(again)).toBe(serializeWorld(big));
    const other = generateWorld({ seed: 8, repos: 10, pullRequests: 1200 });
    expect(serializeWorld(other)).not.toBe(serializeWorld(big));
  });

  it('makes as many repositories and merged PRs as asked, valid for the emulator parser', () => {
    expect(big.repos).toHaveLength(10);
    const merged = big.repos.flatMap((r) => r.pullRequests.filter((p) => p.mergedAt !== null));
    expect(merged).toHaveLength(1200);
    expect(() => parseWorld(big)).not.toThrow();
    expect(allTimes(big).filter((time) => Date.parse(time) > Date.parse(big.now))).toEqual([]);
  });

  it('keeps typical PRs small and includes the outliers', () => {
    const prs = big.repos.flatMap((r) => r.pullRequests.map((p) => ({ r, p })));
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    expect(median(prs.map(({ p }) => p.commits.length))).toBeLessThanOrEqual(TYPICAL_PR_LIMITS.commits);
    expect(median(prs.map(({ p }) => p.files.length))).toBeLessThanOrEqual(TYPICAL_PR_LIMITS.files);
    expect(Math.max(...prs.map(({ p }) => p.reviews.length))).toBeLessThanOrEqual(TYPICAL_PR_LIMITS.reviews);
    const withinTypical = prs.filter(
      ({ p }) => p.commits.length <= TYPICAL_PR_LIMITS.commits && p.files.length <= TYPICAL_PR_LIMITS.files,
    );
    expect(withinTypical.length / prs.length).toBeGreaterThan(0.95);
    expect(prs.some(({ p }) => p.commits.length === OUTLIER_SIZES.commits)).toBe(true);
    expect(prs.some(({ p }) => p.files.length === OUTLIER_SIZES.files)).toBe(true);
    expect(prs.some(({ r, p }) => headChecks(r, p).length === OUTLIER_SIZES.checks)).toBe(true);
  });

  it('produces squash and merge commits, direct pushes and deployments through the pipeline', () => {
    const parentCounts = new Set(
      big.repos.flatMap((r) => {
        const bySha = new Map(r.commits.map((c) => [c.sha, c]));
        return r.pullRequests
          .filter((p) => p.mergeCommit)
          .map((p) => bySha.get(p.mergeCommit!)!.parents.length);
      }),
    );
    expect([...parentCounts].sort()).toEqual([1, 2]);
    expect(big.repos.some((r) => r.activity.some((a) => a.activityType === 'push'))).toBe(true);
    const environments = new Set(big.repos.flatMap((r) => r.deployments.map((d) => d.environment)));
    expect([...environments].sort()).toEqual(['canary', 'production', 'staging']);
    for (const r of big.repos) {
      const line = new Set(firstParentLine(r));
      for (const p of r.pullRequests.filter((x) => x.mergeCommit))
        expect(line.has(p.mergeCommit!)).toBe(true);
    }
  });
});
