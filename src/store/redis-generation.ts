import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { type RedisClient, RedisUnavailableError, asStoreError } from './redis-connection.ts';
import type { KeyLayout } from './redis-keys.ts';

/** A section registered longer ago than this whose marker is missing was lost, not just created. */
const REGISTRATION_RACE_MS = 10_000;

export type GenerationProblem = 'lost' | 'generation' | 'rewound' | 'unmarked';

const EXPLAIN: Record<GenerationProblem, string> = {
  lost: 'its generation marker is gone: Redis restarted empty or lost this data',
  generation: 'it belongs to another keyspace generation: Redis was replaced or restored',
  rewound: 'its write sequence went back: Redis was restored from an older snapshot or lost its last writes',
  unmarked: 'Redis holds bursar keys but no generation key: data was lost or restored partially',
};

/** Redis answers, but its data cannot be trusted as the spend so far. */
export class GenerationError extends RedisUnavailableError {
  readonly problem: GenerationProblem;
  readonly tag: string;
  constructor(problem: GenerationProblem, tag: string) {
    super(`redis data of section {${tag}} cannot be trusted: ${EXPLAIN[problem]}`);
    this.name = 'GenerationError';
    this.problem = problem;
    this.tag = tag;
  }
}

/**
 * Detects a Redis that restarted empty or from an old snapshot, so its counters are never
 * read as "no spend so far":
 *
 * - `P:{m}:gen` names the keyspace generation. It is created once, when Redis holds no
 *   bursar key at all; a Redis that holds bursar keys but no generation is refused.
 * - Each section has a marker `P:{tag}:g` = {id: generation, n: write sequence}. This
 *   process creates it (HSETNX) before its first script there, after registering the
 *   section in `P:{m}:tags`. A marker missing from a section registered earlier was lost.
 * - Every write script bumps n; this process remembers the highest n it saw per section,
 *   and a script that finds n below it flags the section `rw` (rewound) for every replica.
 *
 * A flagged section stays refused (HARD budgets deny, the others buffer their usage)
 * until an operator has looked at it: see the README, "Several replicas: Redis".
 */
export class Generation {
  readonly #c: RedisClient;
  readonly #k: KeyLayout;
  #id: string | undefined;
  /** Set at init when the keyspace cannot be used at all. */
  #initProblem: GenerationError | undefined;
  readonly #lastSeq = new Map<string, number>();
  readonly #ensured = new Map<string, Promise<void>>();
  readonly #done = new Set<string>();
  /** Sections a script refused, with why (readiness reports them). */
  readonly faults = new Map<string, GenerationError>();

  constructor(client: RedisClient, keys: KeyLayout) {
    this.#c = client;
    this.#k = keys;
  }

  get id(): string {
    if (this.#initProblem) throw this.#initProblem;
    return this.#id!;
  }

  async init(): Promise<void> {
    const key = this.#k.meta('gen');
    let id = await this.#c.get(key);
    if (id === null) {
      if (await this.#anyKey()) {
        this.#initProblem = new GenerationError('unmarked', 'm');
        return;
      }
      await this.#c.set(key, randomUUID(), 'NX');
      id = await this.#c.get(key);
    }
    this.#id = id!;
  }

  /** Whether the generation key still names the keyspace this process started with. */
  async check(): Promise<string | undefined> {
    if (this.#initProblem) return this.#initProblem.message;
    const now = await this.#c.get(this.#k.meta('gen'));
    if (now !== this.#id) return 'the redis keyspace generation changed: Redis was emptied or replaced';
    const first = this.faults.values().next();
    return first.done ? undefined : first.value.message;
  }

  lastSeq(tag: string): number {
    return this.#lastSeq.get(tag) ?? 0;
  }

  observe(tags: readonly string[], seqs: readonly number[]): void {
    for (let i = 0; i < tags.length; i++) {
      const n = Number(seqs[i] ?? 0);
      if (n > (this.#lastSeq.get(tags[i]!) ?? 0)) this.#lastSeq.set(tags[i]!, n);
    }
  }

  refused(tag: string, problem: GenerationProblem): GenerationError {
    const e = new GenerationError(problem, tag);
    this.faults.set(tag, e);
    return e;
  }

  /** Registers and marks each section before this process first writes there. */
  ensure(tags: readonly string[]): Promise<void> | undefined {
    let pending: Promise<void>[] | undefined;
    for (const tag of tags) {
      if (this.#done.has(tag)) continue;
      let p = this.#ensured.get(tag);
      if (p === undefined) {
        p = this.#ensureOne(tag).then(
          () => void this.#done.add(tag),
          (e: unknown) => {
            // A failed attempt (Redis away) is retried next time.
            this.#ensured.delete(tag);
            throw e;
          },
        );
        this.#ensured.set(tag, p);
      }
      (pending ??= []).push(p);
    }
    return pending && Promise.all(pending).then(() => undefined);
  }

  async #ensureOne(tag: string): Promise<void> {
    const id = this.id;
    try {
      const registry = this.#k.meta('tags');
      const now = Date.now();
      const fresh = await this.#c.hsetnx(registry, tag, String(now));
      const since = fresh === 1 ? now : Number(await this.#c.hget(registry, tag));
      if ((await this.#c.get(this.#k.meta('gen'))) !== id) throw this.refused('m', 'generation');
      const created = await this.#c.hsetnx(this.#k.marker(tag), 'id', id);
      if (created === 1 && fresh === 0 && now - since > REGISTRATION_RACE_MS) {
        // Put back what the marker said, so the section stays refused for every replica.
        await this.#c.hdel(this.#k.marker(tag), 'id');
        throw this.refused(tag, 'lost');
      }
    } catch (e) {
      throw asStoreError(e);
    }
  }

  /** Any key under the prefix, on every master of a Cluster. */
  async #anyKey(): Promise<boolean> {
    const nodes = this.#c instanceof Cluster ? this.#c.nodes('master') : [this.#c];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${this.#k.prefix}:*`, 'COUNT', 1000);
        if (keys.length > 0) return true;
        cursor = next;
      } while (cursor !== '0');
    }
    return false;
  }

  /**
   * Starts a new generation over the data as it is (an operator's decision after a loss
   * or a restore): new generation id, every section re-marked, rewound flags cleared.
   * Replicas running with the old generation refuse until restarted.
   */
  async reset(): Promise<string> {
    const id = randomUUID();
    await this.#c.set(this.#k.meta('gen'), id);
    for (const tag of await this.#c.hkeys(this.#k.meta('tags'))) {
      await this.#c
        .multi()
        .hset(this.#k.marker(tag), 'id', id, 'n', 0)
        .hdel(this.#k.marker(tag), 'rw')
        .exec();
    }
    this.#id = id;
    this.#initProblem = undefined;
    this.#lastSeq.clear();
    this.faults.clear();
    this.#ensured.clear();
    this.#done.clear();
    return id;
  }
}
