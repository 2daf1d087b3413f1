import { z } from 'zod';
import { breakdown } from '../../../budget/breakdown.ts';
import { USAGE_GROUP_FIELDS } from '../../../store/store.ts';
import { type PricedRecord, parseUsageRecord, usageRecordSchema } from '../../../usage/usage-record.ts';
import { parseWith, ValidationError } from '../../../validation/errors.ts';
import { confineFilter, confineScope } from '../access.ts';
import { costSchema, costView } from '../cost-view.ts';
import { toCsv, wantsCsv } from '../csv.ts';
import { toApiError } from '../errors.ts';
import { isoSchema, isoTime } from '../money.ts';
import { sendJson, sendText } from '../respond.ts';
import { type ApiDeps, defineRoute, named, type Route } from '../route.ts';
import { resolveRange, timeRangeFields } from '../time-range.ts';
import { cursorAt, filterFields, filtersOf, pageCursor, readCursor } from '../usage-query.ts';
import {
  RECORD_CSV_HEADER,
  recordCsvRow,
  usageRecordView,
  usageRecordViewSchema,
  usageRowSchema,
  usageRowsCsv,
  usageRowView,
} from '../usage-view.ts';

const MAX_BATCH = 10_000;

const usageBatch = named(
  'UsageBatch',
  z.strictObject({ records: z.array(usageRecordSchema).min(1).max(MAX_BATCH) }),
);
/** The batch's outline; each record is then validated with the engine's record parser. */
const batchOutline = z.strictObject({ records: z.array(z.unknown()).min(1).max(MAX_BATCH) });

const recordResults = named(
  'UsageRecordResults',
  z.strictObject({
    accepted: z.number().int().describe('Records counted now.'),
    duplicates: z.number().int().describe('Records whose id was seen before: counted once, earlier.'),
    results: z.array(z.strictObject({ id: z.string(), duplicate: z.boolean(), cost: costSchema })),
  }),
);

const FIELD_PATTERN = `(?:${USAGE_GROUP_FIELDS.join('|')})`;
const usageQuery = named(
  'UsageQuery',
  z.strictObject({
    ...timeRangeFields,
    groupBy: z
      .string()
      .regex(
        new RegExp(`^${FIELD_PATTERN}(?:,${FIELD_PATTERN}){0,3}$`),
        `expected 1 to 4 of ${USAGE_GROUP_FIELDS.join(', ')}, comma-separated`,
      )
      .optional()
      .describe(
        `Comma-separated fields to group by (1-4 of ${USAGE_GROUP_FIELDS.join(', ')}); default model.`,
      ),
    top: z.coerce
      .number()
      .int()
      .positive()
      .max(1000)
      .optional()
      .describe('Keep the N most expensive rows; the rest are summed into `other`.'),
    format: z.enum(['json', 'csv']).optional().describe('Default json; Accept: text/csv also selects csv.'),
    ...filterFields,
  }),
);
const usageReport = named(
  'UsageReport',
  z.strictObject({
    from: isoSchema,
    to: isoSchema,
    groupBy: z.array(z.enum(USAGE_GROUP_FIELDS)),
    rows: z.array(usageRowSchema).describe('Most expensive first.'),
    other: usageRowSchema.optional().describe('Everything past `top`, summed.'),
    total: usageRowSchema,
  }),
);

const recordsQuery = named(
  'UsageRecordsQuery',
  z.strictObject({
    ...timeRangeFields,
    limit: z.coerce
      .number()
      .int()
      .positive()
      .max(10_000)
      .optional()
      .describe('Records per page (default 1000).'),
    cursor: z.string().max(200).optional().describe('nextCursor of the previous page.'),
    format: z.enum(['json', 'csv']).optional(),
    ...filterFields,
  }),
);
const recordsPage = named(
  'UsageRecordsPage',
  z.strictObject({
    records: z.array(usageRecordViewSchema).describe('Oldest first.'),
    nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last page.'),
  }),
);

export function usageRoutes({ ctx, engine }: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/usage',
      access: 'use',
      tag: 'usage',
      summary: 'Record usage that had no reservation (idempotent by record id)',
      description:
        'All records are validated before any is counted: one bad record rejects the batch with 400 naming records.N.field. A record id seen before is answered duplicate: true and counted once. A tenant key may leave scope.tenant out (its tenant is used) or name its own.',
      body: { schema: usageBatch, parse: (input) => parseWith(batchOutline, input, 'usage') },
      responses: {
        200: { description: 'Every record, in order, counted now or before.', schema: recordResults },
      },
      async handle({ res, principal, body }) {
        try {
          const priced: PricedRecord[] = body.records.map((input, i) => {
            let record;
            try {
              record = parseUsageRecord(input, `records[${i}]`);
            } catch (error) {
              if (!(error instanceof ValidationError)) throw error;
              const field = error.field ? `records.${i}.${error.field}` : `records.${i}`;
              throw new ValidationError(field, error.reason, 'usage');
            }
            record.scope = confineScope(principal, record.scope, `records.${i}.scope.tenant`);
            return engine.price(record);
          });
          const results = await engine.recordPriced(priced);
          const duplicates = results.filter((r) => r.duplicate).length;
          ctx.stats.countItems('rest', 'accepted', results.length - duplicates);
          ctx.stats.countItems('rest', 'duplicate', duplicates);
          ctx.stats.countRequest('rest', 200);
          sendJson(res, 200, {
            accepted: results.length - duplicates,
            duplicates,
            results: results.map((r) => ({ id: r.id, duplicate: r.duplicate, cost: costView(r.cost) })),
          });
        } catch (error) {
          ctx.stats.countItems('rest', 'rejected', body.records.length);
          ctx.stats.countRequest('rest', toApiError(error).status);
          throw error;
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/usage',
      access: 'use',
      tag: 'usage',
      summary: 'Usage and cost grouped by model, provider, agent, tenant, operation, tool…',
      description:
        'JSON, or CSV (format=csv or Accept: text/csv) with one row per group: the group fields, then calls, errors, missingUsage, unpricedCalls, input, output, cacheRead, cacheWrite, reasoning, totalTokens, costNanoUsd, costUsd, durationMs. A tenant key reads its own tenant only.',
      query: usageQuery,
      responses: {
        200: {
          description: 'The grouped usage.',
          schema: usageReport,
          alternatives: { 'text/csv': 'The rows as CSV (header line first).' },
        },
      },
      async handle({ req, res, principal, query }) {
        const { from, to } = resolveRange(query, engine.now());
        const filter = confineFilter(principal, filtersOf(query));
        const by = (query.groupBy?.split(',') ?? ['model']) as (typeof USAGE_GROUP_FIELDS)[number][];
        const b = await breakdown(engine, {
          from,
          to,
          by,
          ...(query.top === undefined ? {} : { top: query.top }),
          ...(Object.keys(filter).length > 0 ? { filter } : {}),
        });
        const rows = b.rows.map(usageRowView);
        if (wantsCsv(query.format, req.headers.accept)) {
          const [header, lines] = usageRowsCsv(by, b.other ? [...rows, usageRowView(b.other)] : rows);
          sendText(res, 200, 'text/csv; charset=utf-8', toCsv(header, lines));
          return;
        }
        sendJson(res, 200, {
          from: isoTime(from),
          to: isoTime(to),
          groupBy: by,
          rows,
          ...(b.other ? { other: usageRowView(b.other) } : {}),
          total: usageRowView(b.total),
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/usage/records',
      access: 'use',
      tag: 'usage',
      summary: 'The usage records themselves, page by page (for exports)',
      description: 'Oldest first. CSV columns: ' + RECORD_CSV_HEADER.join(', ') + '.',
      query: recordsQuery,
      responses: {
        200: {
          description: 'One page.',
          schema: recordsPage,
          alternatives: { 'text/csv': 'The page as CSV; the next cursor is in the X-Next-Cursor header.' },
        },
      },
      async handle({ req, res, principal, query }) {
        const range = resolveRange(query, engine.now());
        const filter = confineFilter(principal, filtersOf(query));
        const limit = query.limit ?? 1000;
        const cursor = query.cursor === undefined ? undefined : readCursor(query.cursor);
        const from = cursor ? Math.max(range.from, cursor.time) : range.from;
        const skip = cursor && cursor.time >= range.from ? cursor.skip : 0;
        const found = await engine.store.queryUsage({
          from,
          to: range.to,
          limit: skip + limit,
          ...(Object.keys(filter).length > 0 ? { filter } : {}),
        });
        const page = found.slice(skip);
        const next = page.length === limit ? pageCursor(cursorAt(page, skip, from)) : null;
        const records = page.map(usageRecordView);
        if (wantsCsv(query.format, req.headers.accept)) {
          if (next !== null) res.setHeader('x-next-cursor', next);
          sendText(res, 200, 'text/csv; charset=utf-8', toCsv(RECORD_CSV_HEADER, records.map(recordCsvRow)));
          return;
        }
        sendJson(res, 200, { records, nextCursor: next });
      },
    }),
  ];
}
