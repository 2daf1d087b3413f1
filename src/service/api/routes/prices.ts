import { z } from 'zod';
import type { CatalogEntry } from '../../../pricing/catalog.ts';
import type { TokenPrices } from '../../../pricing/price.ts';
import { parsePriceEntry, priceEntrySchema } from '../../../pricing/price-config.ts';
import { indexKey } from '../../../pricing/model-name.ts';
import { ValidationError } from '../../../validation/errors.ts';
import { ApiError, notFound } from '../errors.ts';
import { usdPerMTokString } from '../money.ts';
import { sendJson } from '../respond.ts';
import { type ApiDeps, defineRoute, jsonBody, named, param, type Route } from '../route.ts';

named(
  'PriceEntry',
  priceEntrySchema,
  'A custom price in USD per 1M tokens (input and output required unless free: true; cache and reasoning prices default to input and output). For PUT /v1/prices/{model} the model may be left out.',
);

const FIELDS = ['input', 'output', 'cacheRead', 'cacheWrite', 'cacheWrite1h', 'reasoning'] as const;
const usdPerM = z.string().regex(/^\d+\.\d{2,6}$/);
const pico = z.number().int();
const pricesOf = <T extends z.ZodType>(t: T) =>
  z.strictObject({
    input: t,
    output: t,
    cacheRead: t.optional(),
    cacheWrite: t.optional(),
    cacheWrite1h: t.optional(),
    reasoning: t.optional(),
  });

const priceView = named(
  'Price',
  z.strictObject({
    model: z.string(),
    provider: z
      .string()
      .describe('gen_ai.provider.name, or * for a custom price of the model from any provider.'),
    effectiveFrom: z.string(),
    source: z.string(),
    origin: z.enum(['custom', 'shipped']).describe('custom prices win over shipped ones.'),
    aliases: z.array(z.string()).optional(),
    free: z.boolean().optional(),
    usdPerMTok: pricesOf(usdPerM).describe(
      'USD per 1M tokens as exact decimal strings; absent cache prices fall back to input.',
    ),
    picoUsdPerToken: pricesOf(pico).describe(
      'The same prices as the integers the catalog computes with (1e-12 USD per token).',
    ),
    tiers: z
      .array(
        z.strictObject({
          aboveInputTokens: z.number().int(),
          usdPerMTok: pricesOf(usdPerM),
          picoUsdPerToken: pricesOf(pico),
        }),
      )
      .optional()
      .describe('Prices for the whole call once its input passes aboveInputTokens.'),
  }),
);
const priceList = named('PriceList', z.strictObject({ version: z.string(), prices: z.array(priceView) }));
const pricesQuery = named(
  'PricesQuery',
  z.strictObject({
    provider: z.string().min(1).optional(),
    model: z
      .string()
      .min(1)
      .optional()
      .describe('Entries listed under this model name or alias (case-insensitive).'),
    origin: z.enum(['custom', 'shipped']).optional(),
  }),
);
const priceSet = named(
  'PriceSet',
  z.strictObject({ version: z.string().describe('Catalog version after the change.'), price: priceView }),
);
const priceRemoved = named(
  'PriceRemoved',
  z.strictObject({ version: z.string(), removed: z.number().int() }),
);
const deleteQuery = named(
  'PriceDeleteQuery',
  z.strictObject({
    provider: z.string().min(1).optional().describe('Only the custom entries of this provider.'),
  }),
);
const liteLLMFile = named(
  'LiteLLMPriceFile',
  z
    .record(z.string(), z.record(z.string(), z.unknown()))
    .describe(
      "LiteLLM's model_prices_and_context_window.json: model name → entry with *_cost_per_token fields (USD per token).",
    ),
);
const importQuery = named(
  'PriceImportQuery',
  z.strictObject({
    source: z
      .string()
      .min(1)
      .max(500)
      .optional()
      .describe('Recorded on every entry (which copy of the file, and when).'),
    effectiveFrom: z.iso
      .date()
      .optional()
      .describe('Effective date of the imported prices; default: always.'),
  }),
);
const importSummary = named(
  'PriceImportSummary',
  z.strictObject({
    version: z.string(),
    imported: z.number().int(),
    free: z.number().int(),
    skipped: z.number().int(),
    skippedBy: z.record(z.string(), z.number().int()),
    byMode: z.record(z.string(), z.number().int()),
  }),
);

function tokenPrices(p: TokenPrices) {
  const usd: Record<string, string> = {};
  const raw: Record<string, number> = {};
  for (const f of FIELDS) {
    const v = p[f];
    if (v === undefined) continue;
    usd[f] = usdPerMTokString(v);
    raw[f] = v;
  }
  return { usdPerMTok: usd, picoUsdPerToken: raw } as {
    usdPerMTok: z.output<ReturnType<typeof pricesOf<typeof usdPerM>>>;
    picoUsdPerToken: z.output<ReturnType<typeof pricesOf<typeof pico>>>;
  };
}

export function toPriceView(e: CatalogEntry): z.output<typeof priceView> {
  const out: z.output<typeof priceView> = {
    model: e.model,
    provider: e.provider,
    effectiveFrom: e.effectiveFrom,
    source: e.source,
    origin: e.origin,
    ...tokenPrices(e),
  };
  if (e.aliases?.length) out.aliases = [...e.aliases];
  if (e.free) out.free = true;
  if (e.tiers?.length)
    out.tiers = e.tiers.map((t) => ({ aboveInputTokens: t.aboveInputTokens, ...tokenPrices(t) }));
  return out;
}

export function priceRoutes({ ctx, prices }: ApiDeps): Route[] {
  const catalog = ctx.catalog;
  const persist = async (): Promise<void> => {
    try {
      await prices.save();
    } catch (error) {
      ctx.log.error({ err: error, file: prices.file }, 'custom prices could not be saved');
      throw new ApiError(
        500,
        'persist_failed',
        'the price change is in force but could not be saved to prices.json; it will be lost at restart (the service log has the reason)',
      );
    }
  };
  return [
    defineRoute({
      method: 'get',
      path: '/v1/prices',
      access: 'use',
      tag: 'prices',
      summary: 'The price catalog: custom entries first, then the shipped ones',
      query: pricesQuery,
      responses: { 200: { description: 'The catalog.', schema: priceList } },
      handle({ res, query }) {
        const model = query.model === undefined ? undefined : indexKey(query.model);
        const list = catalog
          .list()
          .filter(
            (e) =>
              (query.provider === undefined || e.provider === query.provider) &&
              (query.origin === undefined || e.origin === query.origin) &&
              (model === undefined ||
                indexKey(e.model) === model ||
                (e.aliases ?? []).some((a) => indexKey(a) === model)),
          );
        sendJson(res, 200, { version: catalog.version, prices: list.map(toPriceView) });
      },
    }),
    defineRoute({
      method: 'put',
      path: '/v1/prices/{model}',
      access: 'admin',
      tag: 'prices',
      summary: 'Set a custom price (USD per 1M tokens); it wins over the shipped one and survives restarts',
      description:
        'The body is a price entry; model may be left out (the path names it; percent-encode a / in it) or must equal the path. Without provider the price applies to the model from any provider. An entry with the same model, provider and effectiveFrom is replaced. Prices are USD per 1M tokens: a per-token figure (below $0.001/M) is refused.',
      body: { schema: priceEntrySchema, parse: (input) => input },
      responses: { 200: { description: 'In force.', schema: priceSet } },
      async handle(call) {
        const model = param(call, 'model');
        const input = call.body;
        if (typeof input !== 'object' || input === null || Array.isArray(input))
          throw new ValidationError('', 'expected a price object', 'price');
        const given = (input as { model?: unknown }).model;
        if (given !== undefined && given !== model)
          throw new ValidationError(
            'model',
            `must equal the model in the path (${model}) or be left out`,
            'price',
          );
        const price = parsePriceEntry({ ...input, model }, '');
        const version = catalog.setCustom(price);
        await persist();
        const entry = catalog
          .list()
          .find(
            (e) =>
              e.origin === 'custom' &&
              e.model === price.model &&
              e.provider === price.provider &&
              e.effectiveFrom === price.effectiveFrom,
          )!;
        sendJson(call.res, 200, { version, price: toPriceView(entry) });
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/prices/{model}',
      access: 'admin',
      tag: 'prices',
      summary: 'Remove the custom prices of a model (the shipped price applies again)',
      query: deleteQuery,
      responses: { 200: { description: 'Removed.', schema: priceRemoved } },
      async handle(call) {
        const model = param(call, 'model');
        const removed = catalog.removeCustom(model, call.query.provider);
        if (removed === 0) throw notFound(`custom price for ${model}`);
        await persist();
        sendJson(call.res, 200, { version: catalog.version, removed });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/prices/import',
      access: 'admin',
      tag: 'prices',
      summary: "Import LiteLLM's price file as custom prices",
      description:
        'The file is validated whole first: one bad price rejects it (400 naming the key and field) and nothing changes.',
      query: importQuery,
      body: jsonBody(liteLLMFile, 'LiteLLM price file'),
      responses: { 200: { description: 'Imported.', schema: importSummary } },
      async handle({ res, query, body }) {
        const summary = catalog.importLiteLLM(body, {
          ...(query.source === undefined ? {} : { source: query.source }),
          ...(query.effectiveFrom === undefined ? {} : { effectiveFrom: query.effectiveFrom }),
        });
        await persist();
        sendJson(res, 200, summary);
      },
    }),
  ];
}
