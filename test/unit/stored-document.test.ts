import { isDeepStrictEqual } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { EvidenceItem } from '../../lambdas/core/period-evidence.ts';
import { canonicalJson } from '../../lambdas/evidence/canonical-json.ts';
import {
  type DocumentKind,
  envelopeSchema,
  parseEvidenceDocument,
  parseStoredEvidenceDocument,
} from '../../lambdas/evidence/documents.ts';
import { compileCheck, REFUSED } from '../../lambdas/evidence/schema-check.ts';
import {
  approval,
  collectionRun,
  commit,
  deployment,
  doc,
  mergeOf,
  override,
  protection,
  pullRequest,
  sha,
  team,
} from './core/builders.ts';

/**
 * The pack reads stored documents through a quick check compiled from the schemas, falling back
 * to zod's parse. Held here to the contract: for any text, the same document zod makes, or the
 * same error naming the same field. The mutations are what a hand-edited or corrupted object
 * could hold: a field gone, a field of another type, a key the schema does not name.
 */

const AT = '2026-10-05T12:00:00.000Z';

function storedDocuments(): EvidenceItem<DocumentKind>[] {
  const pr = pullRequest(101, AT, {
    bodyEditedAt: '2026-10-05T11:00:00Z',
    reviews: [
      approval('bob', '2026-10-05T11:30:00Z', sha('head-101')),
      {
        id: 'r2',
        author: 'carol',
        authorType: 'User',
        state: 'DISMISSED',
        previousState: 'APPROVED',
        submittedAt: '2026-10-05T11:00:00+02:00',
        commitSha: null,
        dismissedAt: '2026-10-05T11:10:00Z',
        dismissedBy: 'dave',
      },
    ],
    labels: ['emergency'],
    labelEvents: [{ name: 'emergency', action: 'added', actor: 'erin', at: '2026-10-05T10:00:00Z' }],
    comments: [{ author: 'erin', createdAt: '2026-10-05T10:01:00Z', body: 'ok, "quoted"\nline', url: null }],
    completeness: [{ field: 'files', collected: 100, total: 300, reason: 'GitHub caps the list' }],
    commits: [commit('head-101', '2026-10-05T10:00:00Z', { coAuthors: ['frank'], pushedBy: 'alice' })],
  });
  const merged = mergeOf(pr);
  const withRun = deployment(7, sha('merge-101'), 'production', AT, 'success', {
    performedViaApp: 'github-actions',
    workflowRun: {
      id: 99,
      name: 'deploy',
      runAttempt: 2,
      actor: 'alice',
      triggeringActor: null,
      event: 'push',
      status: 'completed',
      conclusion: 'success',
      headSha: sha('merge-101'),
      createdAt: AT,
      updatedAt: AT,
      jobs: [
        { name: 'deploy', status: 'completed', conclusion: 'success', startedAt: AT, completedAt: null },
      ],
    },
  });
  const guarded = protection();
  const ruled = doc('branch-protection', 'ruled', AT, {
    branch: 'main',
    defaultBranchFiles: {
      codeowners: { path: '.github/CODEOWNERS', text: '* @acme/sre\n' },
      cdkJsonAtRoot: true,
    },
    protection: {
      requiredStatusChecks: ['unit'],
      requiredApprovingReviewCount: 1,
      requireSignedCommits: false,
      enforceAdmins: false,
      requiredCheckApps: [{ context: 'unit', appId: 15368 }],
    },
    rulesets: [
      {
        id: 1,
        name: 'main',
        enforcement: 'active',
        rules: [
          { type: 'pull_request', parameters: { required_approving_review_count: 1 } },
          { type: 'deletion' },
        ],
        bypassActors: [{ actor: 'OrganizationAdmin', mode: 'always' }],
      },
    ],
  });
  const pushed = override(sha('push'), AT, {
    sources: ['audit-log', 'activity'],
    commit: commit('push', AT),
    pullRequest: 101,
  });
  const run = collectionRun([
    { withholds: 'audit-log', repo: null, reason: 'plan is not enterprise' },
    { withholds: 'deployments', repo: 'acme/api', reason: 'timed out', window: { from: AT, to: AT } },
  ]);
  const ticket = doc('linear-ticket', 'ENG-1', AT, {
    key: 'ENG-1',
    exists: true,
    issue: {
      id: 'i1',
      identifier: 'ENG-1',
      title: 'A ticket',
      url: 'https://linear.app/acme/issue/ENG-1',
      team: { key: 'ENG', name: 'Engineering' },
      state: { name: 'Done', type: 'completed' },
      createdAt: AT,
      archivedAt: null,
    },
  });
  const incident = doc('incident', 'inc-1', AT, {
    id: 'inc-1',
    name: 'API down',
    cause: null,
    status: 'resolved',
    startedAt: AT,
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: AT,
    resolvedBy: 'erin',
    teamName: null,
    metadata: { deploy: sha('merge-101') },
  });
  const onCall = doc('on-call', 'cal-1', AT, {
    calendarId: 'cal-1',
    calendarName: null,
    teamName: 'SRE',
    defaultCalendar: true,
    window: { from: AT, to: AT },
    events: [{ id: 'e1', users: ['erin@acme.test'], startsAt: AT, endsAt: AT, override: false }],
  });
  return [pr, merged, withRun, guarded, ruled, pushed, run, team('sre', ['dave']), ticket, incident, onCall];
}

/** The stored text of a document, with the members a default fills left out (older documents lack them). */
function storedText(item: EvidenceItem<DocumentKind>): string {
  const json = JSON.parse(canonicalJson(item.doc)) as { data: Record<string, unknown> };
  if (item.doc.kind === 'pull-request') {
    for (const review of json.data.reviews as Record<string, unknown>[]) {
      delete review.previousState;
      delete review.dismissedAt;
    }
    for (const comment of json.data.comments as Record<string, unknown>[]) delete comment.url;
  }
  if (item.doc.kind === 'deployment') delete json.data.performedViaApp;
  return JSON.stringify(json);
}

type Outcome = { readonly doc: unknown } | { readonly error: string };

function outcomeOf(parse: () => unknown): Outcome {
  try {
    return { doc: parse() };
  } catch (error: unknown) {
    return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

const REPLACEMENTS: readonly unknown[] = [
  null,
  7,
  -1,
  1.5,
  2 ** 60,
  '',
  'x',
  '2026-10-01T00:00:00Z',
  true,
  [],
  {},
  [1],
];

/** Every variant of `json` with one member removed, replaced, or one key added to an object. */
function* mutations(json: unknown): Generator<unknown> {
  const copy = () => structuredClone(json);
  const paths: (string | number)[][] = [];
  const visit = (value: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) visit(item, [...path, i]);
    } else if (value !== null && typeof value === 'object')
      for (const [key, member] of Object.entries(value)) visit(member, [...path, key]);
  };
  visit(json, []);
  const at = (root: unknown, path: (string | number)[]) =>
    path.reduce<unknown>((value, step) => (value as Record<string | number, unknown>)[step], root);
  for (const path of paths) {
    const parentPath = path.slice(0, -1);
    const last = path[path.length - 1];
    if (last !== undefined) {
      const removed = copy();
      const parent = at(removed, parentPath) as Record<string | number, unknown> | unknown[];
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last as string];
      yield removed;
      for (const replacement of REPLACEMENTS) {
        const replaced = copy();
        (at(replaced, parentPath) as Record<string | number, unknown>)[last] = structuredClone(replacement);
        yield replaced;
      }
    }
    const value = at(json, path);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const extended = copy();
      (at(extended, path) as Record<string, unknown>).unexpected = 'x';
      yield extended;
      const polluted = copy();
      Object.defineProperty(at(polluted, path), '__proto__', { value: {}, enumerable: true });
      yield polluted;
    }
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('parseStoredEvidenceDocument', () => {
  it('reads every kind of stored document as zod does, without zod', () => {
    const parse = vi.spyOn(envelopeSchema, 'parse');
    for (const item of storedDocuments()) {
      const text = storedText(item);
      const expected = parseEvidenceDocument(item.doc.kind, JSON.parse(text));
      parse.mockClear();
      const fast = parseStoredEvidenceDocument(item.doc.kind, text);
      expect(isDeepStrictEqual(fast, expected), `${item.doc.kind}: the same document as zod's`).toBe(true);
      // The defaults a stored document leaves out are filled in as zod fills them.
      if (item.doc.kind === 'pull-request') {
        const review = (fast as typeof expected & { data: { reviews: { previousState: unknown }[] } }).data
          .reviews[0];
        expect(review?.previousState).toBeNull();
      }
      // Only the collection run's typed gaps (a preprocess step) are parsed by zod, and only that part.
      expect(parse, item.doc.kind).not.toHaveBeenCalled();
    }
  });

  it('gives the document zod gives, or refuses with zod’s message naming the field, for every mutation', () => {
    let refused = 0;
    let compared = 0;
    for (const item of storedDocuments()) {
      const kind = item.doc.kind;
      for (const variant of mutations(JSON.parse(storedText(item)))) {
        const text = JSON.stringify(variant);
        const expected = outcomeOf(() => parseEvidenceDocument(kind, JSON.parse(text)));
        const actual = outcomeOf(() => parseStoredEvidenceDocument(kind, text));
        if (!isDeepStrictEqual(actual, expected)) {
          expect.fail(`${kind} ${text}\nzod: ${JSON.stringify(expected)}\nquick: ${JSON.stringify(actual)}`);
        }
        compared += 1;
        if ('error' in expected) refused += 1;
      }
    }
    // Most mutations break a document; some (a nullable set to null, an array emptied) do not.
    expect(compared).toBeGreaterThan(3_000);
    expect(refused).toBeGreaterThan(compared / 2);
    expect(compared - refused).toBeGreaterThan(100);
  });

  it('refuses text that is not JSON as JSON.parse does', () => {
    expect(() => parseStoredEvidenceDocument('team-membership', '{"schema":')).toThrow(SyntaxError);
  });

  it('names the field of a wrong type and the kind that does not match', () => {
    const text = storedText(pullRequest(5, AT));
    const badTime = text.replace(`"mergedAt":"${AT}"`, '"mergedAt":"yesterday"');
    expect(badTime).not.toBe(text);
    expect(() => parseStoredEvidenceDocument('pull-request', badTime)).toThrow(/mergedAt/);
    expect(() => parseStoredEvidenceDocument('deployment', text)).toThrow(
      'expected evidence of kind deployment, got pull-request',
    );
  });
});

describe('compileCheck', () => {
  it('tells a member named like an Object method apart from the one every object inherits', () => {
    const schema = z.object({
      constructor: z.string().optional(),
      valueOf: z.number(),
      toString: z.string().default('d'),
    });
    const check = compileCheck(schema);
    for (const text of [
      '{"valueOf":1}',
      '{"constructor":"x","valueOf":1,"toString":"y"}',
      '{}',
      '{"constructor":"x"}',
    ]) {
      const expected = schema.safeParse(JSON.parse(text));
      const checked = check(JSON.parse(text));
      if (expected.success) expect(isDeepStrictEqual(checked, expected.data), text).toBe(true);
      else expect(checked, text).toBe(REFUSED);
    }
  });
});
