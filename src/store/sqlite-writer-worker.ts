/**
 * The SQLite store's writer thread: it owns the store's only write connection and runs
 * each posted batch in one transaction (state rows, then ledger rows, then marks, then
 * admin writes), answering each batch in the order it arrived. The main thread keeps
 * deciding (engine, working copy) while this thread binds rows and waits on fsync.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { AdminTables, applyAdminOp } from './sqlite-admin.ts';
import { UsageWriter } from './sqlite-usage-writer.ts';
import { openDatabase } from './sqlite-open.ts';
import { StateWriter } from './sqlite-state.ts';
import {
  serializeError,
  type WriteMessage,
  type WriteReply,
  type WriterHello,
  type WriterInit,
} from './sqlite-writer.ts';

const port = parentPort!;
const init = workerData as WriterInit;

function hello(h: WriterHello): void {
  port.postMessage(h);
}

function open(): Database.Database | undefined {
  try {
    return openDatabase(init);
  } catch (e) {
    hello({ openError: serializeError(e) });
    return undefined;
  }
}

// Without a connection the thread has nothing to do: the main thread terminates it once
// it has read the error.
const db = open() ?? (await new Promise<never>(() => {}));

const state = new StateWriter(db);
const usage = new UsageWriter(db);
const admin = new AdminTables(db);
const write = db.transaction((m: WriteMessage): unknown[] => {
  state.write(m);
  usage.insert(m.dims, m.usage);
  for (let i = 0; i < m.marks.length; i += 2) admin.putMark(m.marks[i] as string, m.marks[i + 1] as number);
  const results = m.admin.map((op) => applyAdminOp(admin, op));
  if (m.fail !== undefined) throw new Error(m.fail);
  return results;
});

/** The newest epoch with a failed batch: later batches of it are refused unwritten. */
let failedEpoch = -1;

port.on('message', (m: WriteMessage | { close: true }) => {
  if ('close' in m) {
    db.close();
    port.close();
    return;
  }
  let reply: WriteReply;
  if (m.epoch <= failedEpoch) {
    reply = { seq: m.seq, error: { message: 'an earlier batch failed', name: 'Error' } };
  } else {
    try {
      reply = { seq: m.seq, results: write.immediate(m) };
    } catch (e) {
      failedEpoch = m.epoch;
      reply = { seq: m.seq, error: serializeError(e) };
    }
  }
  port.postMessage(reply);
});

hello({ ready: true });
