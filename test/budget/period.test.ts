import { describe, expect, it } from 'vitest';
import { PeriodClock, periodWindow, windowSeconds } from '../../src/budget/period.ts';

const utc = (iso: string) => Date.parse(iso);

describe('periodWindow', () => {
  it('UTC day, hour and month', () => {
    const at = utc('2026-03-15T13:45:12.345Z');
    expect(periodWindow('day', 'UTC', at)).toEqual({
      start: utc('2026-03-15T00:00:00Z'),
      end: utc('2026-03-16T00:00:00Z'),
    });
    expect(periodWindow('hour', 'UTC', at)).toEqual({
      start: utc('2026-03-15T13:00:00Z'),
      end: utc('2026-03-15T14:00:00Z'),
    });
    expect(periodWindow('month', 'UTC', at)).toEqual({
      start: utc('2026-03-01T00:00:00Z'),
      end: utc('2026-04-01T00:00:00Z'),
    });
  });

  it('weeks start on Monday', () => {
    // 2026-03-15 is a Sunday: its week began Monday 2026-03-09.
    const w = periodWindow('week', 'UTC', utc('2026-03-15T23:59:59Z'));
    expect(w).toEqual({ start: utc('2026-03-09T00:00:00Z'), end: utc('2026-03-16T00:00:00Z') });
    expect(new Date(w.start).getUTCDay()).toBe(1);
    // Monday 00:00 itself starts a new week.
    expect(periodWindow('week', 'UTC', utc('2026-03-16T00:00:00Z')).start).toBe(utc('2026-03-16T00:00:00Z'));
  });

  it('a day in a zone starts at local midnight, not UTC midnight', () => {
    // 2026-01-10 02:00 UTC is still 2026-01-09 in New York (UTC-5).
    const w = periodWindow('day', 'America/New_York', utc('2026-01-10T02:00:00Z'));
    expect(w).toEqual({ start: utc('2026-01-09T05:00:00Z'), end: utc('2026-01-10T05:00:00Z') });
    const tokyo = periodWindow('day', 'Asia/Tokyo', utc('2026-01-10T16:00:00Z'));
    expect(tokyo.start).toBe(utc('2026-01-10T15:00:00Z'));
  });

  it('DST days last 23 and 25 hours', () => {
    // US spring forward 2026-03-08, fall back 2026-11-01.
    const spring = periodWindow('day', 'America/New_York', utc('2026-03-08T12:00:00Z'));
    expect(windowSeconds(spring)).toBe(23 * 3600);
    expect(spring.start).toBe(utc('2026-03-08T05:00:00Z'));
    const fall = periodWindow('day', 'America/New_York', utc('2026-11-01T12:00:00Z'));
    expect(windowSeconds(fall)).toBe(25 * 3600);
    // Europe: 2026-03-29 and 2026-10-25.
    expect(windowSeconds(periodWindow('day', 'Europe/Berlin', utc('2026-03-29T12:00:00Z')))).toBe(23 * 3600);
    expect(windowSeconds(periodWindow('day', 'Europe/Berlin', utc('2026-10-25T12:00:00Z')))).toBe(25 * 3600);
    // The week containing the spring change is 167 hours long.
    expect(windowSeconds(periodWindow('week', 'Europe/Berlin', utc('2026-03-27T12:00:00Z')))).toBe(
      167 * 3600,
    );
  });

  it('the repeated hour on a fall-back night is two distinct hour periods', () => {
    const first = periodWindow('hour', 'America/New_York', utc('2026-11-01T05:30:00Z'));
    const second = periodWindow('hour', 'America/New_York', utc('2026-11-01T06:30:00Z'));
    expect(first.start).toBe(utc('2026-11-01T05:00:00Z'));
    expect(second.start).toBe(utc('2026-11-01T06:00:00Z'));
    expect(first.end).toBe(second.start);
  });

  it('half-hour offset zones', () => {
    const w = periodWindow('hour', 'Asia/Kolkata', utc('2026-05-01T10:10:00Z'));
    expect(w.start).toBe(utc('2026-05-01T09:30:00Z'));
    expect(w.end).toBe(utc('2026-05-01T10:30:00Z'));
  });

  it('month ends and leap years', () => {
    expect(windowSeconds(periodWindow('month', 'UTC', utc('2028-02-29T23:59:59Z')))).toBe(29 * 86400);
    expect(windowSeconds(periodWindow('month', 'UTC', utc('2026-02-10T00:00:00Z')))).toBe(28 * 86400);
    expect(windowSeconds(periodWindow('month', 'UTC', utc('2100-02-10T00:00:00Z')))).toBe(28 * 86400);
    expect(windowSeconds(periodWindow('month', 'UTC', utc('2000-02-10T00:00:00Z')))).toBe(29 * 86400);
    expect(periodWindow('month', 'UTC', utc('2026-12-31T23:59:59.999Z'))).toEqual({
      start: utc('2026-12-01T00:00:00Z'),
      end: utc('2027-01-01T00:00:00Z'),
    });
    // A month in a DST zone: March in Berlin is one hour short.
    expect(windowSeconds(periodWindow('month', 'Europe/Berlin', utc('2026-03-10T00:00:00Z')))).toBe(
      31 * 86400 - 3600,
    );
    expect(periodWindow('day', 'UTC', utc('2028-02-29T10:00:00Z')).end).toBe(utc('2028-03-01T00:00:00Z'));
  });

  it('total never ends', () => {
    expect(periodWindow('total', 'UTC', Date.now())).toEqual({ start: 0, end: Number.POSITIVE_INFINITY });
  });
});

describe('PeriodClock', () => {
  it('reuses the current window and moves on at its end', () => {
    const clock = new PeriodClock();
    const a = clock.window('day', 'UTC', utc('2026-03-15T01:00:00Z'));
    expect(clock.window('day', 'UTC', utc('2026-03-15T23:59:59.999Z'))).toBe(a);
    const b = clock.window('day', 'UTC', utc('2026-03-16T00:00:00Z'));
    expect(b.start).toBe(utc('2026-03-16T00:00:00Z'));
    // A late lookup into the past is answered without displacing the current window.
    expect(clock.window('day', 'UTC', utc('2026-03-15T12:00:00Z')).start).toBe(a.start);
    expect(clock.window('day', 'UTC', utc('2026-03-16T12:00:00Z'))).toBe(b);
  });
});
