import { describe, expect, it } from 'vitest';
import { InputError } from '../../lambdas/errors.ts';
import { parseCollectorEvent, parseJobEvent } from '../../lambdas/runtime/event.ts';

const now = new Date('2026-11-01T06:00:00Z');

describe('parseJobEvent', () => {
  it('takes a calendar month', () => {
    const request = parseJobEvent({ period: '2026-10' }, now);
    expect(request.window).toEqual({
      from: '2026-10-01T00:00:00.000Z',
      to: '2026-11-01T00:00:00.000Z',
      label: '2026-10',
      isMonth: true,
    });
  });

  it('takes a range with repositories and a profile', () => {
    const request = parseJobEvent(
      { from: '2026-10-01', to: '2026-10-15T12:00:00Z', repos: ['payments-api'], profile: 'clicki' },
      now,
    );
    expect(request.window.label).toBe('2026-10-01_2026-10-15');
    expect(request.repos).toEqual(['payments-api']);
    expect(request.profile).toBe('clicki');
  });

  it('defaults a monthly schedule to the month before now', () => {
    expect(parseJobEvent({ schedule: 'monthly' }, now).window.label).toBe('2026-10');
  });

  it('defaults a daily schedule to the start of yesterday’s month until now', () => {
    const window = parseJobEvent({ schedule: 'daily' }, now).window;
    expect(window.from).toBe('2026-10-01T00:00:00.000Z');
    expect(window.to).toBe(now.toISOString());
  });

  it.each([
    [{ period: '2026-13' }, 'period'],
    [{ period: '2026-10', from: '2026-10-01' }, 'period'],
    [{ from: '2026-10-05', to: '2026-10-01' }, 'to'],
    [{ from: '2026-10-05' }, 'to'],
    [{ period: '2027-01' }, 'period'],
    [{ repos: 'payments-api' }, 'repos'],
    [{ perod: '2026-10' }, 'perod'],
    ['period=2026-10', 'event'],
  ])('refuses %j naming %s', (event, field) => {
    try {
      parseJobEvent(event, now);
      expect.unreachable('the event should have been refused');
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).field).toBe(field);
    }
  });
});

describe('parseCollectorEvent', () => {
  it('collects a fan-out item’s one repository, for its input’s window', () => {
    const request = parseCollectorEvent({ repo: 'acme/web-app', input: { period: '2026-10' } }, now, {
      org: 'acme',
    });
    expect(request.repos).toEqual(['acme/web-app']);
    expect(request.window.label).toBe('2026-10');
  });

  it('takes an on-demand fan-out whose input names the repositories, the item’s among them', () => {
    const request = parseCollectorEvent(
      { repo: 'acme/web-app', input: { period: '2026-10', repos: ['infra', 'web-app'] } },
      now,
      { org: 'acme' },
    );
    expect(request.repos).toEqual(['acme/web-app']);
  });

  it('takes a scheduled fan-out item, and a plain event', () => {
    expect(parseCollectorEvent({ repo: 'acme/infra', input: { schedule: 'daily' } }, now).scheduled).toBe(
      true,
    );
    expect(parseCollectorEvent({ period: '2026-10', repos: ['infra'] }, now).repos).toEqual(['infra']);
  });
});
