import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { PriceCatalog } from '../pricing/catalog.ts';
import type { ModelPrice } from '../pricing/price.ts';
import { assertModelPrice } from '../pricing/validate-price.ts';
import { parseWith, ValidationError } from '../validation/errors.ts';
import type { ServiceConfig } from './config/config-schema.ts';

/**
 * Custom prices set through the REST API (PUT /v1/prices/{model}, the LiteLLM import)
 * survive a restart: they are kept in `${dataDir}/prices.json`, in catalog units
 * (integer pico-USD per token), written whole to a temporary file, flushed to disk and
 * renamed over the old one, so a crash leaves either the old file or the new one. The
 * memory store keeps nothing across restarts, and neither do its prices.
 */

const FORMAT = 'bursar-custom-prices';

interface PriceFile {
  format: typeof FORMAT;
  version: 1;
  savedAt: string;
  prices: ModelPrice[];
}

const fileHead = z.looseObject({ format: z.literal(FORMAT), version: z.literal(1) });
/** What assertModelPrice may read without tripping over a wrong type; it checks the values. */
const figures = {
  input: z.number().optional(),
  output: z.number().optional(),
  cacheRead: z.number().optional(),
  cacheWrite: z.number().optional(),
  cacheWrite1h: z.number().optional(),
  reasoning: z.number().optional(),
};
const priceFileShape = z.looseObject({
  prices: z.array(
    z.looseObject({
      model: z.string(),
      provider: z.string(),
      effectiveFrom: z.string(),
      source: z.string(),
      aliases: z.array(z.string()).optional(),
      tiers: z.array(z.looseObject({ aboveInputTokens: z.number().optional(), ...figures })).optional(),
      free: z.boolean().optional(),
      ...figures,
    }),
  ),
});

function fileOf(config: ServiceConfig): string | undefined {
  return config.store.kind === 'sqlite' ? path.resolve(config.store.dataDir, 'prices.json') : undefined;
}

/** The saved custom prices, validated; [] when there is no file (or no durable store). */
export function loadCustomPrices(config: ServiceConfig): ModelPrice[] {
  const file = fileOf(config);
  if (file === undefined) return [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ValidationError('', `not valid JSON: ${(error as Error).message}`, file);
  }
  const head = fileHead.safeParse(json);
  if (!head.success) throw new ValidationError('format', `expected a ${FORMAT} file of version 1`, file);
  // The shape first (a hand-edited or damaged file may hold anything), then the figures.
  const prices = parseWith(priceFileShape, json, file).prices as unknown as ModelPrice[];
  prices.forEach((p, i) => assertModelPrice(p, `${file}: prices[${i}] (${p.model})`));
  return prices;
}

function writeAtomically(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
  // The rename itself is durable once the directory entry is.
  const dir = openSync(path.dirname(file), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** Saves the catalog's custom entries after each change, one save at a time. */
export class CustomPrices {
  readonly catalog: PriceCatalog;
  readonly file: string | undefined;
  #queue: Promise<void> = Promise.resolve();

  constructor(catalog: PriceCatalog, config: ServiceConfig) {
    this.catalog = catalog;
    this.file = fileOf(config);
  }

  /** Resolves once the custom prices as they are now are on disk. */
  save(): Promise<void> {
    const file = this.file;
    if (file === undefined) return Promise.resolve();
    const prices = this.catalog
      .list()
      .filter((p) => p.origin === 'custom')
      .map(({ origin: _, ...p }) => p);
    const body: PriceFile = { format: FORMAT, version: 1, savedAt: new Date().toISOString(), prices };
    const text = `${JSON.stringify(body, null, 1)}\n`;
    const run = this.#queue.then(() => writeAtomically(file, text));
    this.#queue = run.catch(() => {});
    return run;
  }
}
