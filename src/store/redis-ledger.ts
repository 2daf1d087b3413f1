import type { PricedRecord } from '../usage/usage-record.ts';
import type { RedisClient } from './redis-connection.ts';
import { type KeyLayout, tenantTag } from './redis-keys.ts';
import type { UsageAggregate, UsageGroupField, UsageQuery } from './store.ts';
import { aggregateRecords, matchesQuery } from './usage-aggregate.ts';

const DAY_MS = 86_400_000;
/** Ledger members are `<20-digit arrival stamp>|<record JSON>`. */
const STAMP = 20;

interface Entry {
  time: number;
  stamp: string;
  record: PricedRecord;
}

/**
 * Reads of the usage records kept in Redis: each tenant section holds its records in one
 * sorted set per UTC day (score = record time, ties in arrival order), written by the
 * commit and record scripts together with the counters. Queries read the days in range
 * from every tenant section (one section when the filter names the tenant), merge them
 * in time order, and filter and group them with the same code as the memory store, so
 * reports answer exactly what SQLite would for the records kept.
 */
export class RedisLedger {
  readonly #c: RedisClient;
  readonly #k: KeyLayout;

  constructor(client: RedisClient, keys: KeyLayout) {
    this.#c = client;
    this.#k = keys;
  }

  async #tags(q: UsageQuery, allTags: () => Promise<string[]>): Promise<string[]> {
    const tenant = q.filter?.tenant;
    if (tenant !== undefined) return [tenantTag(tenant)];
    return (await allTags()).filter((t) => t.startsWith('t:'));
  }

  /** Day buckets present in [from, to), per section. */
  async #days(tags: readonly string[], q: UsageQuery): Promise<Map<number, string[]>> {
    const fromDay = Math.floor(q.from / DAY_MS) * DAY_MS;
    const lists = await Promise.all(
      tags.map((t) => this.#c.zrangebyscore(this.#k.ledgerDays(t), fromDay, `(${q.to}`)),
    );
    const byDay = new Map<number, string[]>();
    lists.forEach((days, i) => {
      for (const d of days) {
        const day = Number(d);
        let list = byDay.get(day);
        if (!list) byDay.set(day, (list = []));
        list.push(tags[i]!);
      }
    });
    return byDay;
  }

  async #day(day: number, tags: readonly string[], q: UsageQuery): Promise<Entry[]> {
    const lists = await Promise.all(
      tags.map((t) => this.#c.zrangebyscore(this.#k.ledger(t, day), q.from, `(${q.to}`, 'WITHSCORES')),
    );
    const out: Entry[] = [];
    for (const flat of lists) {
      for (let i = 0; i < flat.length; i += 2) {
        const member = flat[i]!;
        const record = JSON.parse(member.slice(STAMP + 1)) as PricedRecord;
        if (!matchesQuery(record, q)) continue;
        out.push({ time: Number(flat[i + 1]), stamp: member.slice(0, STAMP), record });
      }
    }
    out.sort((a, b) => a.time - b.time || (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : 0));
    return out;
  }

  /** Records in [from, to) matching the filter, oldest first, reading day by day up to `limit`. */
  async query(q: UsageQuery & { limit?: number }, allTags: () => Promise<string[]>): Promise<PricedRecord[]> {
    const tags = await this.#tags(q, allTags);
    const byDay = await this.#days(tags, q);
    const out: PricedRecord[] = [];
    const limit = q.limit ?? Number.POSITIVE_INFINITY;
    for (const day of [...byDay.keys()].sort((a, b) => a - b)) {
      if (out.length >= limit) break;
      for (const e of await this.#day(day, byDay.get(day)!, q)) out.push(e.record);
    }
    return out.length > limit ? out.slice(0, limit) : out;
  }

  async aggregate(
    q: UsageQuery & { groupBy: readonly UsageGroupField[] },
    allTags: () => Promise<string[]>,
  ): Promise<UsageAggregate[]> {
    return aggregateRecords(await this.query({ from: q.from, to: q.to, filter: q.filter ?? {} }, allTags), q);
  }
}
