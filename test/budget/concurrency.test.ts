import { it } from 'vitest';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { concurrencyProperty } from './concurrency.property.ts';

it('memory store: concurrent reserve/commit never passes a HARD limit beyond admitted overruns', async () => {
  await concurrencyProperty(async () => new MemoryStore(), 60);
}, 60_000);
