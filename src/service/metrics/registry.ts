import { Histogram, Registry } from 'prom-client';
import type { ServiceContext } from '../context.ts';
import { BudgetCounters } from './budget-counters.ts';
import { BudgetGauges } from './budget-gauges.ts';
import { ExpositionWriter } from './exposition-writer.ts';
import { LabelLimiter } from './label-limiter.ts';
import { processRegistry } from './process-metrics.ts';
import type { SeriesFamily } from './series-family.ts';
import { ServiceMetrics } from './service-metrics.ts';
import { UsageMetrics } from './usage-metrics.ts';

/**
 * Everything `/metrics` shows, subscribed to the engine's events (data flows one way:
 * the engine emits, this listens). High-cardinality families are `SeriesFamily`s
 * rendered from pre-built text; histograms and the process metrics are prom-client's,
 * each in a registry of its own.
 */
export class MetricsRegistry {
  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;
  readonly usage: UsageMetrics;
  readonly budgetCounters: BudgetCounters;
  readonly budgetGauges: BudgetGauges;
  readonly service: ServiceMetrics;
  readonly #prom = new Registry();
  readonly #scrapeSeconds: Histogram;
  readonly #statusReadSeconds: Histogram;
  readonly #families: SeriesFamily[];
  readonly #unsubscribe: (() => void)[];

  constructor(ctx: ServiceContext) {
    const { engine, config } = ctx;
    const limiter = new LabelLimiter(config.metrics.maxValuesPerLabel);
    this.usage = new UsageMetrics(config.metrics.labels, limiter);
    this.budgetCounters = new BudgetCounters(engine);
    this.budgetGauges = new BudgetGauges(
      engine,
      config.metrics.maxValuesPerLabel,
      config.metrics.statusCacheMs,
      (seconds) => this.#statusReadSeconds.observe(seconds),
    );
    this.service = new ServiceMetrics(ctx.stats, engine.store, limiter);
    this.#families = [
      ...this.usage.families(),
      ...this.budgetGauges.families(),
      ...this.budgetCounters.families(),
      ...this.service.families(),
    ];
    const names = new Set<string>();
    for (const f of this.#families) {
      if (names.has(f.name)) throw new Error(`metric family ${f.name} defined twice`);
      names.add(f.name);
    }
    const buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
    this.#scrapeSeconds = new Histogram({
      name: 'bursar_scrape_duration_seconds',
      help: 'Time to build the /metrics answer (earlier scrapes; this one shows next time).',
      buckets,
      registers: [this.#prom],
    });
    this.#statusReadSeconds = new Histogram({
      name: 'bursar_budget_status_read_duration_seconds',
      help: 'Time to read every budget status from the store for the budget gauges (store reads included).',
      buckets,
      registers: [this.#prom],
    });
    const budgets = this.budgetCounters;
    this.#unsubscribe = [
      engine.events.on('usage_recorded', (e) => {
        this.usage.observe(e.record);
        budgets.observeUsage(e.record);
      }),
      engine.events.on('decision', (e) => budgets.observe(e)),
      engine.events.on('threshold_crossed', (e) => budgets.observe(e)),
      engine.events.on('reservation_expired', (e) => budgets.observe(e)),
    ];
  }

  /** The text exposition: gauges brought up to date first, then every family. */
  async render(): Promise<Buffer[]> {
    const t0 = performance.now();
    // A store that cannot be read (Redis down) must not hide the rest, bursar_store_up = 0
    // above all: the budget gauges keep their last values until it can be read again.
    const gauges = this.budgetGauges.refresh().catch(() => undefined);
    await Promise.all([gauges, this.service.refresh()]);
    const w = new ExpositionWriter();
    for (const f of this.#families) await f.render(w);
    w.text(await this.#prom.metrics());
    w.text(await processRegistry().metrics());
    const body = w.finish();
    this.#scrapeSeconds.observe((performance.now() - t0) / 1000);
    return body;
  }

  /** Stops listening to the engine. */
  close(): void {
    for (const off of this.#unsubscribe) off();
  }
}
