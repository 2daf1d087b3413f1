import type { Store } from '../../store/store.ts';

/**
 * A process that sends both GenAI spans and gen_ai.client.token.usage metrics reports each
 * call twice. `otlp.precedence` says which signal counts: with `spans` (the default), once
 * a process (service.instance.id, else service.name) has sent an inference span its
 * token-usage metrics are ignored; with `metrics`, once it has sent token-usage metrics its
 * inference spans are ignored (execute_tool spans still count: metrics carry no tool calls).
 *
 * Which processes sent what is persisted (Store cursors, written in the same transaction as
 * the records that made it true), so a restart does not start double counting. The first
 * export of the other signal that arrives BEFORE the winning signal's first export is
 * counted: a process is only known by what it has sent.
 */

export type Signal = 'spans' | 'metrics';

const PREFIX: Record<Signal, string> = {
  spans: 'otlp.sends-spans\u0000',
  metrics: 'otlp.sends-metrics\u0000',
};
const KNOWN_LIMIT = 100_000;

export class Precedence {
  readonly winner: Signal;
  readonly #store: Store;
  /** Keys known to be on disk (a cache of positives; bounded). */
  readonly #known = new Set<string>();

  constructor(store: Store, winner: Signal) {
    this.#store = store;
    this.winner = winner;
  }

  /**
   * Processes among `processes` whose data of signal `signal` must be ignored: those known
   * to send the winning signal, when `signal` is not the winner.
   */
  async suppressed(signal: Signal, processes: Iterable<string>): Promise<Set<string>> {
    const out = new Set<string>();
    if (signal === this.winner) return out;
    const unknown: string[] = [];
    for (const p of processes) {
      if (p === '') continue;
      if (this.#known.has(PREFIX[this.winner] + p)) out.add(p);
      else unknown.push(p);
    }
    if (unknown.length === 0) return out;
    const keys = unknown.map((p) => PREFIX[this.winner] + p);
    const values = await this.#store.getCursors(keys);
    values.forEach((v, i) => {
      if (v === undefined) return;
      out.add(unknown[i]!);
      this.#remember(keys[i]!);
    });
    return out;
  }

  /**
   * Markers to write with a request's records: the processes that sent the winning signal
   * and are not known to have done so. `committed()` caches them once written.
   */
  markers(signal: Signal, processes: Iterable<string>): { entries: [string, string][]; committed(): void } {
    const entries: [string, string][] = [];
    if (signal === this.winner)
      for (const p of processes) {
        const key = PREFIX[signal] + p;
        if (p !== '' && !this.#known.has(key)) entries.push([key, '1']);
      }
    return {
      entries,
      committed: () => {
        for (const [k] of entries) this.#remember(k);
      },
    };
  }

  #remember(key: string): void {
    if (this.#known.size >= KNOWN_LIMIT) this.#known.clear();
    this.#known.add(key);
  }
}
