import { describe, expect, it } from 'vitest';
import {
  type ActivityEvent,
  mapCommitsToActivity,
  parseActivityEvents,
} from '../../lambdas/adapters/github/parse-branch-commits.ts';

/** Which push or merge put each default-branch commit there (pure, first-parent walk). */

const sha = (name: string) => name.padEnd(40, '0').replace(/[^0-9a-f]/g, 'f');
const event = (id: number, type: string, before: string | null, after: string): ActivityEvent => ({
  id,
  activityType: type,
  actor: 'dave',
  timestamp: `2026-10-0${id}T00:00:00Z`,
  before,
  after,
});

describe('mapCommitsToActivity', () => {
  // a ← b ← c (push of b..c) ← m (pr_merge; m's second parent is side commit s, forked at a)
  const a = sha('a');
  const b = sha('b');
  const c = sha('c');
  const s = sha('5');
  const m = sha('e');
  const commits = [
    { sha: m, parents: [c, s] },
    { sha: s, parents: [a] },
    { sha: c, parents: [b] },
    { sha: b, parents: [a] },
    { sha: a, parents: [] },
  ];

  it('gives every commit of a multi-commit push to that push, and stops at its before', () => {
    const map = mapCommitsToActivity(commits, [event(1, 'push', a, c), event(2, 'pr_merge', c, m)], m);
    expect(map.get(b)?.activityType).toBe('push');
    expect(map.get(c)?.activityType).toBe('push');
    expect(map.has(a)).toBe(false);
  });

  it('gives commits brought in through a merge commit’s other parent to that merge, not past the main line', () => {
    const map = mapCommitsToActivity(commits, [event(1, 'push', a, c), event(2, 'pr_merge', c, m)], m);
    expect(map.get(m)?.activityType).toBe('pr_merge');
    expect(map.get(s)?.activityType).toBe('pr_merge');
    expect(map.has(a)).toBe(false);
  });

  it('lets the earliest event keep a commit a later force push walks over', () => {
    const map = mapCommitsToActivity(
      commits,
      [event(1, 'push', a, c), event(3, 'force_push', sha('d'), m)],
      m,
    );
    expect(map.get(c)?.activityType).toBe('push');
    expect(map.get(m)?.activityType).toBe('force_push');
  });

  it('parses GitHub’s activity items, dropping branch creation and zero before-SHAs, oldest first', () => {
    const events = parseActivityEvents([
      {
        id: 2,
        before: a,
        after: c,
        ref: 'refs/heads/main',
        timestamp: '2026-10-02T00:00:00Z',
        activity_type: 'push',
        actor: { login: 'dave' },
      },
      {
        id: 1,
        before: '0'.repeat(40),
        after: a,
        ref: 'refs/heads/main',
        timestamp: '2026-10-01T00:00:00Z',
        activity_type: 'force_push',
        actor: null,
      },
      {
        id: 3,
        before: a,
        after: a,
        ref: 'refs/heads/main',
        timestamp: '2026-10-03T00:00:00Z',
        activity_type: 'branch_creation',
        actor: null,
      },
    ]);
    expect(events.map((e) => [e.id, e.before])).toEqual([
      [1, null],
      [2, a],
    ]);
  });
});
