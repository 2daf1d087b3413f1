/**
 * Run by sqlite-store.test.ts in a child process: records, waits for the acknowledgements,
 * then dies by SIGKILL without closing the store. Whatever was acknowledged must be in
 * the file when the parent reopens it. Usage: node sqlite-crash-child.ts <db path> <count>
 */
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { hold, item, priced, ref, reservation } from './fixtures.ts';

const [path, countArg] = process.argv.slice(2);
const count = Number(countArg);
const store = new SqliteStore({ path });
await store.init();
const a = ref('a');

await Promise.all(
  Array.from({ length: count }, (_, i) => store.record([item(priced(`rec-${i}`), [[a, 1]])])),
);
const holds = [hold(a, 50)];
await store.reserve(reservation('r1', holds, { expiresAt: Date.now() + 86_400_000 }), holds);
await store.mark('crash-mark');
// Accepted but never acknowledged: it may or may not survive; the parent accepts both.
void store.record([item(priced('unacked'), [[a, 1000]])]).catch(() => {});

process.stdout.write(`acknowledged ${count}\n`);
process.kill(process.pid, 'SIGKILL');
