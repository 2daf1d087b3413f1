import { asStoreError, type RedisClient, runScript } from './redis-connection.ts';
import type { Generation, GenerationProblem } from './redis-generation.ts';
import { counterTag, type KeyLayout } from './redis-keys.ts';
import type { ScriptName } from './redis-lua.ts';
import type { RedisMeta } from './redis-meta.ts';
import {
  byTag,
  calls,
  type Clock,
  counterTtl,
  placeItemValues,
  placeValues,
  readArgs,
  recordArgs,
  recordTag,
} from './redis-plan.ts';
import type { CounterRef, CounterValue, RecordItem, RecordOutcome } from './store.ts';

const MAX_INDEXED = 100_000;

export interface RunnerOptions {
  perSlot: boolean;
  holdPruneGraceMs: number;
  counterGraceMs: number;
  usageRetentionMs: number;
  reservationRetentionMs: number;
}

/**
 * Runs the store's Lua scripts: each call checked by the generation (sections registered
 * and marked first, this process's last write sequence per section sent along, a refusal
 * turned into GenerationError), and the counter reads and usage writes built on them.
 */
export class ScriptRunner {
  readonly client: RedisClient;
  readonly keys: KeyLayout;
  readonly gen: Generation;
  readonly meta: RedisMeta;
  readonly o: RunnerOptions;
  readonly #now: () => number;
  /** Holds the scripts dropped because their reservation expired unreleased. */
  holdsExpired = 0;
  /** Counter keys this process has put in their budget period's index. */
  readonly #indexed = new Set<string>();

  constructor(
    client: RedisClient,
    keys: KeyLayout,
    gen: Generation,
    meta: RedisMeta,
    o: RunnerOptions,
    now: () => number,
  ) {
    this.client = client;
    this.keys = keys;
    this.gen = gen;
    this.meta = meta;
    this.o = o;
    this.#now = now;
  }

  clock(): Clock {
    return {
      now: this.#now(),
      counterGraceMs: this.o.counterGraceMs,
      usageRetentionMs: this.o.usageRetentionMs,
      reservationRetentionMs: this.o.reservationRetentionMs,
    };
  }

  /** One script call over `tags`; a refusal by the generation check throws GenerationError. */
  async run(
    name: ScriptName,
    tags: readonly string[],
    bump: boolean,
    c: Clock,
    opArgs: readonly (string | number)[],
  ): Promise<unknown[]> {
    const ensuring = this.gen.ensure(tags);
    if (ensuring) await ensuring;
    const args: (string | number)[] = [c.now, c.now - this.o.holdPruneGraceMs, this.gen.id, tags.length];
    args.push(bump ? '1' : '0');
    for (const t of tags) args.push(this.gen.lastSeq(t));
    for (const a of opArgs) args.push(a);
    const reply = await runScript(
      this.client,
      name,
      tags.map((t) => this.keys.marker(t)),
      args,
    );
    if (reply[0] === 'gen')
      throw this.gen.refused(tags[Number(reply[2]) - 1]!, reply[1] as GenerationProblem);
    this.gen.observe(tags, reply[1] as number[]);
    const expired = Number(reply[2]);
    if (expired > 0) this.holdsExpired += expired;
    return reply;
  }

  /** Puts new counters in their budget period's index (before they exist: never missed). */
  async index(refs: readonly CounterRef[], c: Clock): Promise<void> {
    let pending: Promise<void>[] | undefined;
    for (const ref of refs) {
      const key = this.keys.counter(counterTag(ref), ref.key);
      if (this.#indexed.has(key)) continue;
      if (this.#indexed.size >= MAX_INDEXED) this.#indexed.clear();
      const ttl = counterTtl(ref, c);
      const p = this.meta.indexCounter(ref, key, ttl === '' ? undefined : Number(ttl));
      (pending ??= []).push(p.then(() => void this.#indexed.add(key)));
    }
    if (pending) await Promise.all(pending).catch((e: unknown) => Promise.reject(asStoreError(e)));
  }

  /** Counter values, through the read script (so a lost or rewound Redis is refused here too). */
  async read(refs: readonly CounterRef[]): Promise<CounterValue[]> {
    if (refs.length === 0) return [];
    const groups = byTag(refs);
    const c = this.clock();
    const out: CounterValue[] = new Array(refs.length);
    await Promise.all(
      calls([...groups.keys()], this.o.perSlot).map(async (tags) => {
        const reply = await this.run('read', tags, false, c, readArgs(tags, groups, refs));
        placeValues(out, reply[3] as unknown[], tags, groups);
      }),
    );
    return out;
  }

  /** Usage records with their counters; cursors in the same script on one Redis, after them on a Cluster. */
  async record(
    items: readonly RecordItem[],
    cursors: readonly (readonly [string, string])[],
  ): Promise<RecordOutcome[]> {
    const c = this.clock();
    const tagSet = new Set<string>();
    for (const item of items) for (const inc of item.increments) tagSet.add(counterTag(inc.counter));
    const recTags = new Set(items.map(recordTag));
    // Sections that only count (the global one) first, the records' own sections last.
    const order = [...[...tagSet].filter((t) => !recTags.has(t)), ...recTags];
    await this.index(
      items.flatMap((i) => i.increments.map((inc) => inc.counter)),
      c,
    );
    const out: RecordOutcome[] = items.map((item) => ({
      duplicate: false,
      counters: new Array(item.increments.length),
    }));
    for (const tags of calls(order, this.o.perSlot)) {
      const withCursors = this.o.perSlot ? [] : cursors;
      const { args, sent } = recordArgs(tags, items, c, withCursors, this.meta.cursorKey());
      if (sent.length === 0) continue;
      const reply = await this.run('record', tags, true, c, args);
      (reply[3] as [number, unknown[]][]).forEach(([dup, vals], k) => {
        const i = sent[k]!;
        if (Number(dup) === 1) out[i]!.duplicate = true;
        placeItemValues(out[i]!.counters, vals, items[i]!, tags);
      });
    }
    if (cursors.length > 0 && (this.o.perSlot || items.length === 0)) await this.meta.putCursors(cursors);
    return out;
  }
}
