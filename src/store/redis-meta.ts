import type { BudgetSpec } from '../budget/budget-spec.ts';
import type { RedisClient } from './redis-connection.ts';
import type { KeyLayout } from './redis-keys.ts';
import type { AuditEntry, CounterRef, CounterRow, Override, Snapshot } from './store.ts';

/** Audit entries kept (newest first); older ones are trimmed. */
const MAX_AUDIT = 100_000;
/** Threshold marks: long enough for any period but `total`, whose marks may fire once more a year on. */
const MARK_TTL_MS = 400 * 24 * 3_600_000;

/**
 * The meta section `{m}`: rare writes and the indexes readers use. Budgets and overrides
 * are hashes with a zset remembering first-save order; every change and its audit entry
 * go in one MULTI (one slot, so one transaction on a Cluster too).
 */
export class RedisMeta {
  readonly #c: RedisClient;
  readonly #k: KeyLayout;

  constructor(client: RedisClient, keys: KeyLayout) {
    this.#c = client;
    this.#k = keys;
  }

  // ---- budgets, overrides, audit ----

  async #loadOrdered<T>(hash: string, order: string): Promise<T[]> {
    const [ids, all] = await Promise.all([this.#c.zrange(order, '0', '-1'), this.#c.hgetall(hash)]);
    return ids.filter((id) => all[id] !== undefined).map((id) => JSON.parse(all[id]!) as T);
  }

  async #put(hash: string, order: string, id: string, value: unknown, audit: AuditEntry): Promise<void> {
    const seq = this.#k.meta('seq');
    // The order score is taken inside the transaction: first save wins, updates keep their place.
    const n = await this.#c.incr(seq);
    await this.#c
      .multi()
      .hset(hash, id, JSON.stringify(value))
      .zadd(order, 'NX', n, id)
      .lpush(this.#k.meta('audit'), JSON.stringify(audit))
      .ltrim(this.#k.meta('audit'), 0, MAX_AUDIT - 1)
      .exec();
  }

  async #delete(hash: string, order: string, id: string, audit: AuditEntry): Promise<boolean> {
    const out = await this.#c.multi().hdel(hash, id).zrem(order, id).exec();
    const had = Number(out?.[0]?.[1] ?? 0) > 0;
    if (had) {
      await this.#c
        .multi()
        .lpush(this.#k.meta('audit'), JSON.stringify(audit))
        .ltrim(this.#k.meta('audit'), 0, MAX_AUDIT - 1)
        .exec();
    }
    return had;
  }

  loadBudgets(): Promise<BudgetSpec[]> {
    return this.#loadOrdered(this.#k.meta('budgets'), this.#k.meta('budgets:order'));
  }
  saveBudget(spec: BudgetSpec, audit: AuditEntry): Promise<void> {
    return this.#put(this.#k.meta('budgets'), this.#k.meta('budgets:order'), spec.id, spec, audit);
  }
  async deleteBudget(id: string, audit: AuditEntry): Promise<void> {
    const had = await this.#delete(this.#k.meta('budgets'), this.#k.meta('budgets:order'), id, audit);
    // The SQLite and memory stores audit a delete even of an unknown id.
    if (!had) await this.#c.lpush(this.#k.meta('audit'), JSON.stringify(audit));
  }

  loadOverrides(): Promise<Override[]> {
    return this.#loadOrdered(this.#k.meta('overrides'), this.#k.meta('overrides:order'));
  }
  saveOverride(o: Override, audit: AuditEntry): Promise<void> {
    return this.#put(this.#k.meta('overrides'), this.#k.meta('overrides:order'), o.id, o, audit);
  }
  deleteOverride(id: string, audit: AuditEntry): Promise<boolean> {
    return this.#delete(this.#k.meta('overrides'), this.#k.meta('overrides:order'), id, audit);
  }

  async listAudit(limit: number): Promise<AuditEntry[]> {
    if (limit <= 0) return [];
    const rows = await this.#c.lrange(this.#k.meta('audit'), 0, limit - 1);
    return rows.map((r) => JSON.parse(r) as AuditEntry);
  }

  // ---- snapshots: a zset per budget by time; older than the retention are trimmed ----

  async saveSnapshots(rows: Snapshot[], keepFrom: number): Promise<void> {
    const byBudget = new Map<string, Snapshot[]>();
    for (const r of rows) {
      let list = byBudget.get(r.budgetId);
      if (!list) byBudget.set(r.budgetId, (list = []));
      list.push(r);
    }
    await Promise.all(
      [...byBudget].map(([budgetId, list]) => {
        const key = this.#k.meta(`snap:${budgetId}`);
        const args = list.flatMap((s) => [s.time, JSON.stringify(s)]);
        return this.#c
          .multi()
          .zadd(key, ...args)
          .zremrangebyscore(key, '-inf', `(${keepFrom}`)
          .exec();
      }),
    );
  }

  async listSnapshots(budgetId: string, from: number, to: number): Promise<Snapshot[]> {
    const rows = await this.#c.zrangebyscore(this.#k.meta(`snap:${budgetId}`), from, `(${to}`);
    return rows.map((r) => JSON.parse(r) as Snapshot);
  }

  // ---- marks and cursors ----

  async mark(key: string): Promise<boolean> {
    return (await this.#c.set(this.#k.meta(`mark:${key}`), '1', 'PX', MARK_TTL_MS, 'NX')) === 'OK';
  }

  cursorKey(): string {
    return this.#k.meta('cursors');
  }

  async getCursors(keys: readonly string[]): Promise<(string | undefined)[]> {
    if (keys.length === 0) return [];
    const values = await this.#c.hmget(this.cursorKey(), ...keys);
    return values.map((v) => v ?? undefined);
  }

  async putCursors(entries: readonly (readonly [string, string])[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#c.hset(this.cursorKey(), ...entries.flat());
  }

  // ---- where things are: the sections in use and each budget period's counters ----

  /** Every section tag ever used (with when it was first registered, epoch ms). */
  async tags(): Promise<string[]> {
    return this.#c.hkeys(this.#k.meta('tags'));
  }

  /** Records a counter's Redis key under its budget period, before the counter exists. */
  async indexCounter(ref: CounterRef, redisKey: string, ttlMs: number | undefined): Promise<void> {
    const key = this.#k.counterIndex(ref.budgetId, ref.periodStart);
    if (ttlMs === undefined) await this.#c.sadd(key, redisKey);
    else await this.#c.multi().sadd(key, redisKey).pexpire(key, ttlMs).exec();
  }

  async listCounters(budgetId: string, periodStart: number): Promise<CounterRow[]> {
    const members = await this.#c.smembers(this.#k.counterIndex(budgetId, periodStart));
    const values = await Promise.all(members.map((m) => this.#c.hmget(m, 'u', 'r')));
    const rows: CounterRow[] = [];
    members.forEach((m, i) => {
      const [u, r] = values[i]!;
      if (u === null && r === null) return;
      const key = this.#k.counterKeyOf(m);
      const group = key.slice(budgetId.length + 1, key.lastIndexOf('\u0000'));
      rows.push({ key, budgetId, group, periodStart, used: Number(u ?? 0), reserved: Number(r ?? 0) });
    });
    return rows;
  }
}
