/**
 * The one place where bursar's alert thresholds, windows and `for` durations are set.
 * `npm run alerts` renders alerts/bursar-rules.yml and alerts/bursar-rules.test.yml from it;
 * the dashboards read the period lengths from here too. Change a value here, regenerate,
 * and the rules, their promtool tests and the dashboards move together.
 */

/** Prometheus duration strings: `30s`, `5m`, `1h`. */
export type Duration = `${number}${'s' | 'm' | 'h' | 'd'}`;

/** Budget periods that have a length (`total` has none, so no rate-based alert applies). */
export type TimedPeriod = 'hour' | 'day' | 'week' | 'month';

/**
 * One window pair of a multi-window burn-rate alert. It fires when `budgetFraction` of the
 * period's limit was consumed within `long` AND the short window still burns at the same rate.
 * The burn-rate factor is derived: fraction × period seconds / long seconds (for a 30-day budget,
 * 2% in 1h gives the SRE book's 14.4).
 */
export interface BurnWindow {
  long: Duration;
  short: Duration;
  budgetFraction: number;
  severity: 'critical' | 'warning';
  for: Duration;
}

export interface AlertConfig {
  /** The Prometheus job that scrapes bursar's /metrics. */
  job: string;
  /** Where alerts/RUNBOOK.md is published; each alert links `<runbookUrl>#<alert name lowercased>`. */
  runbookUrl: string;
  /** Grafana's base URL; each alert links the dashboard that shows its subject. */
  grafanaUrl: string;
  /** Seconds in each period, to turn a limit into a sustainable rate (a month counts as 30 days). */
  periodSeconds: Record<TimedPeriod, number>;
  threshold: { utilization: number; for: Duration };
  exceeded: { utilization: number; for: Duration };
  /** Burn-rate window pairs per period; periods not listed get no burn-rate alert. */
  burnRate: Partial<Record<TimedPeriod, { fast: BurnWindow; slow: BurnWindow }>>;
  /** Projection: used + rate(consumed[window]) × seconds left > limit. */
  projected: { window: Duration; for: Duration };
  /** The remaining budget lasts less than `withinSeconds` at the rate of `window`. */
  exhaustion: { window: Duration; withinSeconds: number; for: Duration };
  unpriced: { window: Duration; for: Duration };
  /** More than `count` reservations expired uncommitted within `window`: callers leak them. */
  reservationsExpired: { window: Duration; count: number; for: Duration };
  /** Share of OTLP/REST ingest requests answered 4xx/5xx. */
  ingestErrors: { window: Duration; ratio: number; for: Duration };
  /** Share of a budget's decisions that were denials, and the least denial rate (per second) that counts. */
  denials: { window: Duration; ratio: number; minPerSecond: number; for: Duration };
  down: { for: Duration };
  /** The always-firing heartbeat that proves the alerting pipeline works end to end. */
  watchdog: { for: Duration };
}

export const DASHBOARD_UIDS = {
  budgets: 'bursar-budgets-overview',
  spend: 'bursar-spend-tokens',
  genai: 'bursar-genai-client',
  health: 'bursar-service-health',
} as const;

const DAY = 86_400;

export const defaultAlertConfig: AlertConfig = {
  job: 'bursar',
  runbookUrl: 'https://github.com/bursar-dev/bursar/blob/main/alerts/RUNBOOK.md',
  grafanaUrl: 'http://localhost:3000',
  periodSeconds: { hour: 3600, day: DAY, week: 7 * DAY, month: 30 * DAY },
  threshold: { utilization: 0.9, for: '1m' },
  exceeded: { utilization: 1, for: '1m' },
  burnRate: {
    // 30-day budgets: the SRE workbook's pairs, 2% in 1h (×14.4) and 5% in 6h (×6).
    month: {
      fast: { long: '1h', short: '5m', budgetFraction: 0.02, severity: 'critical', for: '2m' },
      slow: { long: '6h', short: '30m', budgetFraction: 0.05, severity: 'warning', for: '15m' },
    },
    // Weekly: the same windows, fractions scaled so the factors stay meaningful (×8.4, ×2.8).
    week: {
      fast: { long: '1h', short: '5m', budgetFraction: 0.05, severity: 'critical', for: '2m' },
      slow: { long: '6h', short: '30m', budgetFraction: 0.1, severity: 'warning', for: '15m' },
    },
    // Daily: windows shortened to the period, 10% of the day in 30m (×4.8), 20% in 2h (×2.4).
    day: {
      fast: { long: '30m', short: '5m', budgetFraction: 0.1, severity: 'critical', for: '2m' },
      slow: { long: '2h', short: '10m', budgetFraction: 0.2, severity: 'warning', for: '10m' },
    },
  },
  projected: { window: '1h', for: '15m' },
  exhaustion: { window: '15m', withinSeconds: 3600, for: '5m' },
  unpriced: { window: '15m', for: '5m' },
  reservationsExpired: { window: '15m', count: 10, for: '5m' },
  ingestErrors: { window: '5m', ratio: 0.05, for: '10m' },
  denials: { window: '5m', ratio: 0.25, minPerSecond: 0.1, for: '5m' },
  down: { for: '2m' },
  watchdog: { for: '1m' },
};

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: DAY } as const;

export function durationSeconds(d: Duration): number {
  const m = /^(\d+(?:\.\d+)?)([smhd])$/.exec(d);
  if (!m) throw new Error(`not a duration: ${d}`);
  return Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
}

/** The burn-rate factor a window pair alerts at. */
export function burnFactor(config: AlertConfig, period: TimedPeriod, w: BurnWindow): number {
  // Rounded to 4 decimals so 0.02 × 2592000 / 3600 is 14.4, not 14.399999999999999.
  return Math.round((w.budgetFraction * config.periodSeconds[period] * 1e4) / durationSeconds(w.long)) / 1e4;
}

/** Every distinct rate window the rules use, for the recording rules. */
export function rateWindows(config: AlertConfig): Duration[] {
  const all = new Set<Duration>([config.projected.window, config.exhaustion.window]);
  for (const pair of Object.values(config.burnRate))
    for (const w of [pair.fast, pair.slow]) {
      all.add(w.long);
      all.add(w.short);
    }
  return [...all].sort((a, b) => durationSeconds(a) - durationSeconds(b));
}
