import { afterEach, describe, expect, it } from 'vitest';
import { monthWindow, parseTime, rangeWindow } from '../../../lambdas/core/window.ts';
import { type InputError, isMalformedInput } from '../../../lambdas/errors.ts';

/**
 * Windows are UTC whatever the machine's zone: the same command gives the same window, and so
 * the same pack, in Kiritimati (UTC+14) and in Pago Pago (UTC-11). Dates are checked against the
 * calendar, since `Date.parse('2026-02-30')` quietly answers 2 March.
 */
const zone = process.env.TZ;
afterEach(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

describe('parseTime', () => {
  it.each(['Pacific/Kiritimati', 'Pacific/Pago_Pago', 'UTC'])(
    'reads a time without an offset as UTC in %s',
    (tz) => {
      process.env.TZ = tz;
      expect(parseTime('2026-10-01T00:00', '--from').toISOString()).toBe('2026-10-01T00:00:00.000Z');
      expect(parseTime('2026-10-01T23:59:59', '--from').toISOString()).toBe('2026-10-01T23:59:59.000Z');
      expect(parseTime('2026-10-01', '--from').toISOString()).toBe('2026-10-01T00:00:00.000Z');
    },
  );

  it('applies an explicit offset', () => {
    expect(parseTime('2026-10-01T02:00+02:00', '--from').toISOString()).toBe('2026-10-01T00:00:00.000Z');
    expect(parseTime('2026-09-30T19:00:00-0500', '--from').toISOString()).toBe('2026-10-01T00:00:00.000Z');
    expect(parseTime('2026-10-01T00:00:00.250Z', '--from').toISOString()).toBe('2026-10-01T00:00:00.250Z');
    expect(parseTime('2026-10-01T00:00:00.123456789Z', '--from').toISOString()).toBe(
      '2026-10-01T00:00:00.123Z',
    );
  });

  it('takes real leap days', () => {
    expect(parseTime('2024-02-29', '--from').toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(parseTime('2000-02-29T12:00Z', '--from').toISOString()).toBe('2000-02-29T12:00:00.000Z');
  });

  it.each([
    '2026-02-30',
    '2026-02-29',
    '2100-02-29',
    '2026-04-31',
    '2026-06-31',
    '2026-13-01',
    '2026-00-01',
    '2026-01-00',
    '2026-10-01T24:00',
    '2026-10-01T23:60',
    '2026-10-01T23:59:60',
    '2026-10-01T00:00+15:00',
    '2026-10-01T00:00+01:60',
    '1969-12-31',
    '2026-10-01T00:00:00ZZ',
    ' 2026-10-01',
    '2026-10-1',
    '+002026-10-01',
    '2026-W40',
    '',
  ])('refuses %j as a usage error naming the field', (value) => {
    expect(() => parseTime(value, '--to')).toThrow(/^--to: /);
    expect(isMalformedInput(thrownBy(() => parseTime(value, '--to')))).toBe(true);
  });
});

describe('monthWindow', () => {
  it('is the calendar month in UTC', () => {
    process.env.TZ = 'Pacific/Kiritimati';
    expect(monthWindow('2024-02')).toEqual({
      from: '2024-02-01T00:00:00.000Z',
      to: '2024-03-01T00:00:00.000Z',
      label: '2024-02',
      isMonth: true,
    });
  });

  it.each(['2026-13', '2026-00', '0026-10', '2026-1', '2026-10-01'])('refuses %j', (period) => {
    expect(isMalformedInput(thrownBy(() => monthWindow(period, 'period')))).toBe(true);
  });
});

describe('rangeWindow', () => {
  it('refuses an empty or reversed window, naming "to"', () => {
    for (const [from, to] of [
      ['2026-10-01', '2026-10-01'],
      ['2026-10-02', '2026-10-01'],
      ['2026-10-01T01:00+01:00', '2026-10-01T00:00Z'],
    ] as const) {
      try {
        rangeWindow(from, to);
        expect.unreachable(`${from} → ${to} should be refused`);
      } catch (error) {
        expect(isMalformedInput(error)).toBe(true);
        expect((error as InputError).field).toBe('--to');
      }
    }
  });

  it('labels a range by its UTC dates', () => {
    process.env.TZ = 'Pacific/Pago_Pago';
    expect(rangeWindow('2026-10-01T00:00', '2026-10-15T12:00').label).toBe('2026-10-01_2026-10-15');
  });
});

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error: unknown) {
    return error;
  }
  return undefined;
}
