import path from 'node:path';
import { BudgetEngine } from '../budget/engine.ts';
import { PriceCatalog } from '../pricing/catalog.ts';
import { SqliteStore } from '../store/sqlite-store.ts';

export interface ServeOptions {
  dataDir: string;
  sweepMs: number;
}

/**
 * Starts the budget engine on the embedded SQLite store and keeps it running: expired
 * reservations are released on a timer, and SIGINT/SIGTERM flush everything accepted
 * before exit. (The HTTP receivers and exporters attach here.)
 */
export async function serve(opts: ServeOptions): Promise<void> {
  const dbPath = path.resolve(opts.dataDir, 'bursar.db');
  const store = new SqliteStore({ path: dbPath });
  const engine = new BudgetEngine({ store, pricer: new PriceCatalog() });
  await engine.init();
  const sweep = setInterval(() => {
    engine
      .expireReservations()
      .catch((error: unknown) => console.error('bursar: expiry sweep failed:', error));
  }, opts.sweepMs);
  console.log(
    `bursar ready: engine on SQLite ${dbPath}, ${engine.budgets().length} budget(s), price catalog ${engine.pricer.version}`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(sweep);
    console.log(`bursar: ${signal}, flushing and closing`);
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
