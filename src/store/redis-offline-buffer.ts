import type { RecordItem } from './store.ts';

/** Usage the store accepted while Redis was away, in arrival order. */
export type BufferedWrite =
  | { kind: 'record'; items: RecordItem[]; cursors: (readonly [string, string])[] }
  | { kind: 'commit'; reservationId: string; item: RecordItem };

function weight(w: BufferedWrite): number {
  return w.kind === 'record' ? w.items.length : 1;
}

/**
 * The fail-open buffer: usage (records and commits) accepted while Redis cannot be
 * reached, held in bounded memory and replayed in order when it is back. Replays are
 * idempotent by record id, so a write that did land before the failure was noticed
 * counts once. It never stands in for Redis in decisions: no per-replica limits.
 *
 * Held in memory only: a replica that dies while Redis is away loses what it buffered
 * (its clients, e.g. OTLP exporters, were answered and will not resend).
 */
export class OfflineBuffer {
  readonly capacity: number;
  #queue: BufferedWrite[] = [];
  #records = 0;
  #replaying: Promise<void> | undefined;
  /** Records and commits replayed into Redis since start. */
  replayed = 0;
  /** Records refused because the buffer was full (the caller got an error). */
  rejected = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Records and commits waiting. */
  get size(): number {
    return this.#records;
  }

  /** False (and counted) when it does not fit: the caller must fail the request. */
  push(w: BufferedWrite): boolean {
    const n = weight(w);
    if (this.#records + n > this.capacity) {
      this.rejected += n;
      return false;
    }
    this.#queue.push(w);
    this.#records += n;
    return true;
  }

  /** The latest buffered value of a cursor (newest write wins, as in Redis). */
  cursor(key: string): string | undefined {
    for (let i = this.#queue.length - 1; i >= 0; i--) {
      const w = this.#queue[i]!;
      if (w.kind !== 'record') continue;
      for (let j = w.cursors.length - 1; j >= 0; j--) if (w.cursors[j]![0] === key) return w.cursors[j]![1];
    }
    return undefined;
  }

  /**
   * Sends every buffered write through `apply`, oldest first, removing each once it
   * landed. Stops at the first failure (Redis still away) and keeps the rest. One replay
   * at a time.
   */
  replay(apply: (w: BufferedWrite) => Promise<void>): Promise<void> {
    this.#replaying ??= (async () => {
      try {
        while (this.#queue.length > 0) {
          const w = this.#queue[0]!;
          await apply(w);
          this.#queue.shift();
          const n = weight(w);
          this.#records -= n;
          this.replayed += n;
        }
      } finally {
        this.#replaying = undefined;
      }
    })();
    return this.#replaying;
  }
}
