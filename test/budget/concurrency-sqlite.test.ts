import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { concurrencyProperty } from './concurrency.property.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'bursar-conc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
it('SQLite store: concurrent reserve/commit never passes a HARD limit beyond admitted overruns', async () => {
  // synchronous=NORMAL keeps the many tiny runs fast; atomicity does not depend on it.
  await concurrencyProperty(
    async () => new SqliteStore({ path: path.join(dir, `c${++n}.db`), synchronous: 'NORMAL' }),
    25,
  );
}, 120_000);
