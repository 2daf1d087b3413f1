import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ExpositionWriter } from './exposition-writer.ts';

/**
 * One Prometheus metric family whose series are rendered from pre-built text.
 *
 * Why not a prom-client Counter/Gauge: prom-client formats every label set on every scrape
 * (≈20–27 ms for 10k series, in one blocking stretch). Here each series' `name{labels} `
 * text is built and UTF-8 encoded once, when the series first appears, so a scrape only
 * copies bytes and writes numbers — and it yields to the event loop between chunks, so
 * ingest never waits long behind a scrape.
 * Values are plain numbers a hot path bumps directly (`series.value += n`); integer units
 * (nano-USD, ms) stay exact and are divided by `scale` only when rendered.
 */

export type FamilyType = 'counter' | 'gauge';

export interface Series {
  /** `name{label="value",...} ` in UTF-8 — ready to be followed by the value. */
  readonly prefix: Buffer;
  readonly labels: readonly string[];
  /** In the family's (or this series') integer unit; rendered as value / scale. */
  value: number;
  readonly scale: number;
  /** Scrape generation that last set this series (scrape-time gauges drop stale ones). */
  generation: number;
}

export interface FamilyOptions {
  name: string;
  help: string;
  type: FamilyType;
  labelNames: readonly string[];
  /** Divisor applied when rendering (1e9 for nano-USD counted as USD). */
  scale?: number;
}

/** Series rendered between two yields to the event loop. */
const CHUNK = 2000;

export function escapeLabelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'));
}

function escapeHelp(v: string): string {
  return v.replace(/[\\\n]/g, (c) => (c === '\\' ? '\\\\' : '\\n'));
}

/** A sample value in the text exposition format. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

export class SeriesFamily {
  readonly name: string;
  readonly help: string;
  readonly type: FamilyType;
  readonly labelNames: readonly string[];
  readonly #scale: number;
  readonly #series = new Map<string, Series>();

  constructor(o: FamilyOptions) {
    this.name = o.name;
    this.help = o.help;
    this.type = o.type;
    this.labelNames = o.labelNames;
    this.#scale = o.scale ?? 1;
  }

  get size(): number {
    return this.#series.size;
  }

  /**
   * The series for these label values, created on first use. Hot callers keep the
   * returned object and bump `value` themselves. Empty values are left out of the text
   * (Prometheus treats an empty label as an absent one).
   */
  series(values: readonly string[], key = values.join('\u0000'), scale = this.#scale): Series {
    let s = this.#series.get(key);
    if (s === undefined) {
      let labels = '';
      for (let i = 0; i < this.labelNames.length; i++) {
        const v = values[i] ?? '';
        if (v === '') continue;
        labels += `${labels === '' ? '' : ','}${this.labelNames[i]}="${escapeLabelValue(v)}"`;
      }
      const prefix = Buffer.from(labels === '' ? `${this.name} ` : `${this.name}{${labels}} `, 'utf8');
      s = { prefix, labels: values.slice(), value: 0, scale, generation: 0 };
      this.#series.set(key, s);
    }
    return s;
  }

  inc(values: readonly string[], n = 1): void {
    this.series(values).value += n;
  }

  /** Sets a gauge (or a counter mirrored from elsewhere) and marks it current. */
  set(values: readonly string[], value: number, generation = 0, scale?: number, key?: string): void {
    const s = this.series(values, key, scale);
    s.value = value;
    s.generation = generation;
  }

  /** Drops series not set in `generation`: budgets, groups or clients that went away. */
  sweep(generation: number): void {
    for (const [key, s] of this.#series) if (s.generation !== generation) this.#series.delete(key);
  }

  /** Current value of one series (tests and collectors), in rendered units. */
  valueOf(values: readonly string[]): number | undefined {
    const s = this.#series.get(values.join('\u0000'));
    return s && s.value / s.scale;
  }

  /** Writes the family's text, yielding to the event loop every CHUNK series. */
  async render(w: ExpositionWriter): Promise<void> {
    w.text(`# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`);
    let n = 0;
    for (const s of this.#series.values()) {
      w.bytes(s.prefix);
      w.ascii(formatValue(s.scale === 1 ? s.value : s.value / s.scale));
      w.newline();
      if (++n % CHUNK === 0) await nextTurn();
    }
  }
}
