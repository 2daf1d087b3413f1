import { DateTime } from 'luxon';
import { z } from 'zod';
import { periodWindow, timeZoneSchema } from '../../budget/period.ts';
import { ValidationError } from '../../validation/errors.ts';

/**
 * The time window a read covers: the current calendar `period` in `timeZone` (as budgets
 * count it), or explicit `from`/`to`. Query fields shared by usage, history and reports.
 */

const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .describe('ISO 8601 date-time with offset (2026-11-23T10:00:00Z) or a date (2026-11-23) in timeZone.');

export const timeRangeFields = {
  period: z
    .enum(['hour', 'day', 'week', 'month'])
    .optional()
    .describe(
      'The current calendar period in timeZone, up to now (weeks start on Monday). Not with from/to.',
    ),
  from: instant.optional().describe('Start (inclusive). A date means its first instant in timeZone.'),
  to: instant
    .optional()
    .describe(
      'End (exclusive), default now. A date means the end of that day in timeZone (the day is included).',
    ),
  timeZone: timeZoneSchema.optional().describe('IANA time zone for period and dates; default UTC.'),
};

export interface TimeRangeQuery {
  period?: 'hour' | 'day' | 'week' | 'month';
  from?: string;
  to?: string;
  timeZone?: string;
}

function instantMs(value: string, zone: string, endOfDay: boolean): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const day = DateTime.fromISO(value, { zone }).startOf('day');
    return (endOfDay ? day.plus({ days: 1 }) : day).toMillis();
  }
  return Date.parse(value);
}

/** `[from, to)` in epoch ms; `fallback` when the query names no window. */
export function resolveRange(
  q: TimeRangeQuery,
  now: number,
  fallback: 'hour' | 'day' | 'week' | 'month' = 'day',
): { from: number; to: number } {
  const zone = q.timeZone ?? 'UTC';
  if (q.period !== undefined && (q.from !== undefined || q.to !== undefined))
    throw new ValidationError('period', 'give either period or from/to, not both', 'query');
  if (q.from === undefined && q.to === undefined) {
    const w = periodWindow(q.period ?? fallback, zone, now);
    return { from: w.start, to: now + 1 };
  }
  if (q.from === undefined) throw new ValidationError('from', 'is required when to is given', 'query');
  const from = instantMs(q.from, zone, false);
  const to = q.to === undefined ? now + 1 : instantMs(q.to, zone, true);
  if (!(to > from)) throw new ValidationError('to', 'must be after from', 'query');
  return { from, to };
}
