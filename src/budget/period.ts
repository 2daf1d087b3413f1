import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';

/**
 * Budget periods are calendar windows in an IANA time zone. A counter's key holds its
 * period start, so a new period simply starts a new counter: nothing is reset by a
 * job, and nothing is late by a time-zone offset. DST days last 23 or 25 hours; month
 * lengths and leap years come from the calendar, not from fixed millisecond spans.
 */
export const PERIODS = ['hour', 'day', 'week', 'month', 'total'] as const;
export type Period = (typeof PERIODS)[number];

export interface PeriodWindow {
  /** Epoch ms of the first instant of the period (0 for `total`). */
  start: number;
  /** Epoch ms of the first instant of the next period (Infinity for `total`). */
  end: number;
}

export const periodSchema = z.enum(PERIODS, {
  error: (issue) => `unknown period ${JSON.stringify(issue.input)}; expected one of ${PERIODS.join(', ')}`,
});

export function isValidTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

export const timeZoneSchema = z.string().superRefine((zone, ctx) => {
  if (!isValidTimeZone(zone))
    ctx.addIssue({ code: 'custom', message: `unknown IANA time zone ${JSON.stringify(zone)}` });
});

const LUXON_UNIT = { hour: 'hour', day: 'day', week: 'week', month: 'month' } as const;

/** The window of `period` in `zone` that contains the instant `at` (epoch ms). */
export function periodWindow(period: Period, zone: string, at: number): PeriodWindow {
  if (period === 'total') return { start: 0, end: Number.POSITIVE_INFINITY };
  const local = DateTime.fromMillis(at, { zone });
  // luxon's startOf('week') is ISO: weeks start on Monday.
  const start = local.startOf(LUXON_UNIT[period]);
  // Add calendar units in local time, then take the start again: on a DST day
  // `plus({ days: 1 })` lands on local midnight, whatever the day's length.
  const end = start.plus({ [`${LUXON_UNIT[period]}s`]: 1 }).startOf(LUXON_UNIT[period]);
  return { start: start.toMillis(), end: end.toMillis() };
}

/** Seconds in a window (Infinity for `total`). */
export function windowSeconds(w: PeriodWindow): number {
  return (w.end - w.start) / 1000;
}

/**
 * Caches the current window per (period, zone): computing a window through luxon
 * costs microseconds, and the hot path asks for it on every check. A cached window
 * is reused while `start <= at < end`.
 */
export class PeriodClock {
  readonly #cache = new Map<string, PeriodWindow>();

  window(period: Period, zone: string, at: number): PeriodWindow {
    if (period === 'total') return TOTAL_WINDOW;
    const key = `${period}|${zone}`;
    const cached = this.#cache.get(key);
    if (cached && at >= cached.start && at < cached.end) return cached;
    const fresh = periodWindow(period, zone, at);
    // Only the window for "now" is cached; a lookup for another time (a late
    // record) is computed without disturbing it when it is in the past.
    if (!cached || at >= cached.end) this.#cache.set(key, fresh);
    return fresh;
  }
}

const TOTAL_WINDOW: PeriodWindow = Object.freeze({ start: 0, end: Number.POSITIVE_INFINITY });
