import { describe, expect, it } from 'vitest';
import { buildPeriodFacts } from '../../../lambdas/core/facts.ts';
import { measureIncidentFailureRate } from '../../../lambdas/core/incidents.ts';
import { buildPopulation } from '../../../lambdas/core/population.ts';
import type { Profile } from '../../../lambdas/core/profile.ts';
import type { DataOf } from '../../../lambdas/evidence/documents.ts';
import {
  CLERK,
  collectionRun,
  deployment,
  doc,
  evidenceOf,
  judge,
  OCTOBER,
  ORG,
  only,
  pullRequest,
} from './builders.ts';

/**
 * The rule helpers that read Linear and Better Stack evidence, on hand-made documents: the
 * ways an engineer could get a change past them.
 */

const run = (
  enrichers: DataOf<'collection-run'>['enrichers'],
  gaps: DataOf<'collection-run'>['gaps'] = [],
) => {
  const item = collectionRun(gaps, 'collect');
  return { ...item, doc: { ...item.doc, data: { ...item.doc.data, enrichers } } };
};
const LINEAR_OK = run([
  { source: 'linear', endpoint: 'https://api.linear.app/graphql', status: 'consulted' },
]);
const BETTER_STACK_OK = run([
  { source: 'better-stack', endpoint: 'https://uptime.betterstack.com/api/v2', status: 'consulted' },
]);

function ticket(key: string, exists: boolean, createdAt = '2026-09-01T00:00:00Z') {
  return doc(
    'linear-ticket',
    key,
    OCTOBER.from,
    {
      key,
      exists,
      issue: exists
        ? {
            id: `id-${key}`,
            identifier: key,
            title: `ticket ${key}`,
            url: `https://linear.app/acme/issue/${key}`,
            team: { key: key.split('-')[0] as string, name: 'Payments' },
            state: { name: 'Done', type: 'completed' },
            createdAt,
            archivedAt: null,
          }
        : null,
    },
    { repo: ORG },
  );
}

function onCall(calendar: string, shifts: { email: string; from: string; to: string }[]) {
  return doc(
    'on-call',
    `${calendar}@2026-10`,
    OCTOBER.from,
    {
      calendarId: calendar,
      calendarName: calendar,
      teamName: 'acme',
      defaultCalendar: false,
      window: { from: OCTOBER.from, to: OCTOBER.to },
      events: shifts.map((shift, i) => ({
        id: String(i),
        users: [shift.email],
        startsAt: shift.from,
        endsAt: shift.to,
        override: false,
      })),
    },
    { repo: ORG },
  );
}

function emergencyPr(number: number, mergedAt: string, labelledBy: string) {
  const at = (minutes: number) => new Date(Date.parse(mergedAt) + minutes * 60_000).toISOString();
  return pullRequest(number, mergedAt, {
    labels: ['emergency-change'],
    labelEvents: [{ name: 'emergency-change', action: 'added', actor: labelledBy, at: at(-10) }],
    comments: [
      { author: 'frank', createdAt: at(60), body: 'Retrospective: logged.', url: null },
      { author: 'frank', createdAt: at(120), body: 'Post-mortem: https://wiki.example/pm', url: null },
    ],
  });
}

describe('TICKET-LINKED with Linear', () => {
  it('passes when any named ticket exists, even if another named key does not', () => {
    const pr = pullRequest(1, '2026-10-05T10:00:00Z', { title: 'ENG-404 fix', headRef: 'alice/ENG-12-fix' });
    const result = only(
      judge(
        'TICKET-LINKED',
        evidenceOf({
          pullRequests: [pr],
          linearTickets: [ticket('ENG-404', false), ticket('ENG-12', true)],
          runs: [LINEAR_OK],
        }),
      ),
      1,
    );
    expect(result.verdict).toBe('pass');
    expect(result.reasons.join(' ')).toMatch(/ticket ENG-12 exists in Linear/);
  });

  it('fails when Linear knows none of the keys, citing Linear’s answer first', () => {
    const pr = pullRequest(2, '2026-10-05T10:00:00Z', { title: 'ENG-404 fix', headRef: 'alice/fix' });
    const absent = ticket('ENG-404', false);
    const result = only(
      judge('TICKET-LINKED', evidenceOf({ pullRequests: [pr], linearTickets: [absent], runs: [LINEAR_OK] })),
      2,
    );
    expect(result.verdict).toBe('fail');
    expect(result.reasons[0]).toMatch(/ENG-404, but Linear has no ticket of that key/);
    expect(result.evidence[0]).toEqual(absent.ref);
  });

  it('is unknown, not pass, for a key that was never looked up', () => {
    const pr = pullRequest(3, '2026-10-05T10:00:00Z', { title: 'ENG-77 fix', headRef: 'alice/fix' });
    const result = only(
      judge('TICKET-LINKED', evidenceOf({ pullRequests: [pr], linearTickets: [], runs: [LINEAR_OK] })),
      3,
    );
    expect(result.verdict).toBe('unknown');
  });

  it('says when the ticket was created after the merge (a ticket made up to fit)', () => {
    const pr = pullRequest(4, '2026-10-05T10:00:00Z', { title: 'ENG-88 fix', headRef: 'alice/fix' });
    const late = ticket('ENG-88', true, '2026-10-06T10:00:00Z');
    const result = only(
      judge('TICKET-LINKED', evidenceOf({ pullRequests: [pr], linearTickets: [late], runs: [LINEAR_OK] })),
      4,
    );
    expect(result.reasons.join(' ')).toMatch(/after the merge/);
  });

  it('ignores Linear documents when no run of the period was configured to read Linear', () => {
    const pr = pullRequest(5, '2026-10-05T10:00:00Z', { title: 'ENG-404 fix', headRef: 'alice/fix' });
    const result = only(
      judge('TICKET-LINKED', evidenceOf({ pullRequests: [pr], linearTickets: [ticket('ENG-404', false)] })),
      5,
    );
    expect(result.verdict).toBe('pass');
  });
});

describe('EMERGENCY with Better Stack', () => {
  const mergedAt = '2026-10-10T12:00:00Z';
  const shift = { from: '2026-10-09T00:00:00Z', to: '2026-10-11T00:00:00Z' };

  it('maps an address to a login by the profile, and then the local part no longer counts', () => {
    const mapped: Profile = {
      ...CLERK,
      parameters: {
        ...CLERK.parameters,
        onCallLogins: { 'i.petrov@acme.com': 'ivan', 'mallory@acme.com': 'mal' },
      },
    };
    const evidence = evidenceOf({
      pullRequests: [emergencyPr(1, mergedAt, 'ivan'), emergencyPr(2, '2026-10-10T13:00:00Z', 'mallory')],
      onCall: [
        onCall('Incident Commanders', [
          { email: 'i.petrov@acme.com', ...shift },
          { email: 'mallory@acme.com', ...shift },
        ]),
      ],
      runs: [BETTER_STACK_OK],
    });
    const results = judge('EMERGENCY', evidence, { profile: mapped });
    expect(only(results, 1).verdict).toBe('pass');
    expect(only(results, 1).reasons.join(' ')).toMatch(
      /i\.petrov@acme\.com is ivan by the profile's onCallLogins/,
    );
    // mallory@acme.com is `mal` on GitHub: the GitHub user `mallory` is someone else.
    expect(only(results, 2).verdict).toBe('fail');
  });

  it('does not accept someone on call in another calendar', () => {
    const evidence = evidenceOf({
      pullRequests: [emergencyPr(3, mergedAt, 'mallory')],
      onCall: [onCall('Database', [{ email: 'mallory@acme.com', ...shift }])],
      runs: [BETTER_STACK_OK],
    });
    const result = only(judge('EMERGENCY', evidence), 3);
    expect(result.verdict).toBe('unknown');
    expect(result.reasons.join(' ')).toMatch(/no on-call calendar named "Incident Commanders"/);
  });

  it('judges the moment the label was added, not the merge', () => {
    const pr = pullRequest(4, '2026-10-11T00:30:00Z', {
      labels: ['emergency-change'],
      // Added 20 minutes after ivan's shift ended (ivan is not in the GitHub team).
      labelEvents: [{ name: 'emergency-change', action: 'added', actor: 'ivan', at: '2026-10-11T00:20:00Z' }],
    });
    const evidence = evidenceOf({
      pullRequests: [pr],
      onCall: [onCall('Incident Commanders', [{ email: 'ivan@acme.com', ...shift }])],
      runs: [BETTER_STACK_OK],
    });
    const result = only(judge('EMERGENCY', evidence), 4);
    expect(result.verdict).toBe('fail');
    expect(result.reasons.join(' ')).toMatch(/nobody was on call/);
  });
});

describe('CHANGE-FAILURE-RATE with Better Stack', () => {
  function measure(parts: Parameters<typeof evidenceOf>[0]) {
    const evidence = evidenceOf({ ...parts, runs: [BETTER_STACK_OK] });
    const facts = buildPeriodFacts(evidence, OCTOBER, [], CLERK.parameters.cdkRepositories);
    return measureIncidentFailureRate(buildPopulation(evidence, OCTOBER), facts, CLERK.parameters);
  }
  function incident(id: string, startedAt: string, metadata: Record<string, string>) {
    return doc(
      'incident',
      id,
      startedAt,
      {
        id,
        name: `incident ${id}`,
        cause: null,
        status: 'Resolved',
        startedAt,
        acknowledgedAt: null,
        acknowledgedBy: null,
        resolvedAt: null,
        resolvedBy: null,
        teamName: null,
        metadata,
      },
      { repo: ORG },
    );
  }
  const one = pullRequest(1, '2026-10-05T10:00:00Z');
  const two = pullRequest(2, '2026-10-06T10:00:00Z');
  const mergeOne = one.doc.data.mergeCommit!.sha;
  const mergeTwo = two.doc.data.mergeCommit!.sha;

  it('counts a change whose production deployment failed when an incident names it', () => {
    const result = measure({
      pullRequests: [one, two],
      deployments: [
        deployment(1, mergeOne, 'production', '2026-10-05T10:10:00Z'),
        deployment(2, mergeTwo, 'production', '2026-10-06T10:10:00Z', 'failure'),
      ],
      incidents: [incident('9', '2026-10-06T10:20:00Z', { 'Caused by': mergeTwo })],
    });
    expect(result.metric).toMatchObject({ numerator: 1, denominator: 2 });
  });

  it('does not count a commit URL of another repository, nor a change not deployed in the period', () => {
    const result = measure({
      pullRequests: [one, two],
      deployments: [deployment(1, mergeOne, 'production', '2026-10-05T10:10:00Z')],
      incidents: [
        incident('10', '2026-10-07T10:00:00Z', {
          'Caused by': `https://github.com/acme/other/commit/${mergeOne}`,
        }),
        incident('11', '2026-10-07T11:00:00Z', { 'Caused by': 'acme/payments-api#2' }),
      ],
    });
    expect(result.metric).toMatchObject({ numerator: 0, denominator: 1, verdict: 'pass' });
    expect(result.metric.detail.join('\n')).toMatch(
      /incident 11 .*not deployed to production in the period \(not counted\)/,
    );
  });

  it('is unknown when the last Better Stack read failed, whatever the counts', () => {
    const evidence = evidenceOf({
      pullRequests: [one],
      deployments: [deployment(1, mergeOne, 'production', '2026-10-05T10:10:00Z')],
      runs: [
        run(
          [{ source: 'better-stack', endpoint: 'x', status: 'unreachable' }],
          [{ withholds: 'better-stack-incidents', repo: null, window: null, reason: 'HTTP 401' }],
        ),
      ],
    });
    const facts = buildPeriodFacts(
      evidence,
      OCTOBER,
      [{ withholds: 'better-stack-incidents', repo: null, window: null, reason: 'HTTP 401' }],
      [],
    );
    const result = measureIncidentFailureRate(buildPopulation(evidence, OCTOBER), facts, CLERK.parameters);
    expect(result.verdict.verdict).toBe('unknown');
  });
});
