import type { z } from 'zod';
import { USAGE_GROUP_FIELDS } from '../../store/store.ts';
import { labelValue } from '../../usage/scope.ts';
import { ValidationError } from '../../validation/errors.ts';

/** Query parameters that narrow usage reads to records with exact label values, and paging. */

type FilterField = (typeof USAGE_GROUP_FIELDS)[number];

export const filterFields = Object.fromEntries(
  USAGE_GROUP_FIELDS.map((f) => [
    f,
    labelValue.optional().describe(`Only records whose ${f} is this value.`),
  ]),
) as Record<FilterField, z.ZodOptional<typeof labelValue>>;

export function filtersOf(query: Partial<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of USAGE_GROUP_FIELDS) {
    const v = query[f];
    if (typeof v === 'string') out[f] = v;
  }
  return out;
}

/**
 * Paging over records ordered by (time, acceptance): a cursor names the last page's last
 * time and how many records at exactly that time were already given, so records sharing
 * a millisecond are neither repeated nor skipped.
 */
export interface Cursor {
  time: number;
  skip: number;
}

export function pageCursor(c: Cursor): string {
  return Buffer.from(`${c.time}.${c.skip}`, 'utf8').toString('base64url');
}

export function readCursor(text: string): Cursor {
  const m = /^(\d{1,16})\.(\d{1,9})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!m) throw new ValidationError('cursor', 'is not a cursor this API gave out', 'query');
  return { time: Number(m[1]), skip: Number(m[2]) };
}

/** The cursor after `page`, which started at `from` after skipping `skipped` records there. */
export function cursorAt(page: readonly { time: number }[], skipped: number, from: number): Cursor {
  const last = page.at(-1)!.time;
  let atLast = 0;
  for (const r of page) if (r.time === last) atLast += 1;
  return { time: last, skip: last === from ? atLast + skipped : atLast };
}
