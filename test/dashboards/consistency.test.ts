import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.ts';
import { committedDashboards } from './committed.ts';
import { metricNames, panelQueries } from './promql.ts';

/**
 * Dashboards and the service agree on names: every metric a panel reads is in a live scrape of
 * the real service, and every bursar_ family the service exposes is charted somewhere.
 *
 * Two kinds of names come from elsewhere and are checked where they come from: series
 * Prometheus makes itself for each target (`up`, `scrape_duration_seconds`), and the agents'
 * `gen_ai_*` and `bursar_client_*` telemetry (checked against real OpenTelemetry output in
 * test/alerts/live.test.ts).
 */

const FROM_PROMETHEUS = new Set(['up', 'scrape_duration_seconds']);
/** The agents' own instruments: GenAI semconv histograms and bursar's client counters. */
const fromAgents = (name: string) => name.startsWith('gen_ai_') || name.startsWith('bursar_client_');

let service: TestService;
let families: Map<string, string>;
let samples: Set<string>;

beforeAll(async () => {
  service = await startTestService({
    budgets: [{ id: 'team-a', resource: 'cost_usd', period: 'day', limit: 10, policy: 'HARD_LIMIT' }],
  });
  await service.context.engine.record([
    {
      id: 'r1',
      time: Date.now(),
      provider: 'openai',
      operation: 'chat',
      requestModel: 'gpt-4o-mini',
      usage: { input: 1200, output: 300, cacheRead: 200 },
      scope: { tenant: 'acme', agent: 'planner' },
    },
  ]);
  const text = await (await fetch(`${service.apiUrl}/metrics`)).text();
  families = new Map();
  samples = new Set();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) families.set(type[1]!, type[2]!);
    else if (line && !line.startsWith('#')) samples.add(/^[^{ ]+/.exec(line)![0]);
  }
});
afterAll(async () => service?.stop());

/** A name is exposed as a sample, a family, or a histogram family's _bucket/_sum/_count. */
function exposed(name: string): boolean {
  if (samples.has(name) || families.has(name)) return true;
  const h = /^(.+)_(bucket|sum|count)$/.exec(name);
  return h !== null && families.get(h[1]!) === 'histogram';
}

const charted = new Map<string, string[]>();
for (const d of committedDashboards())
  for (const q of panelQueries(d))
    for (const name of metricNames(q.expr))
      charted.set(name, [...(charted.get(name) ?? []), `${d.title}: ${q.panel}`]);

describe('dashboards and /metrics', () => {
  it('scrapes a service that exposes the issue families', () => {
    expect(families.get('bursar_budget_consumed_total')).toBe('counter');
    expect(samples).toContain('bursar_tokens_total');
  });

  it('every metric a panel reads is exposed by the service (or made by Prometheus, or by agents)', () => {
    const unknown = [...charted.keys()].filter(
      (n) => !FROM_PROMETHEUS.has(n) && !fromAgents(n) && !exposed(n),
    );
    expect(unknown.map((n) => `${n} (${charted.get(n)!.join('; ')})`)).toEqual([]);
  });

  it('every bursar_ family the service exposes appears on some dashboard', () => {
    const names = [...charted.keys()];
    const uncharted = [...families.keys()]
      .filter((f) => f.startsWith('bursar_'))
      .filter(
        (f) => !names.some((n) => n === f || n === `${f}_bucket` || n === `${f}_sum` || n === `${f}_count`),
      );
    expect(uncharted).toEqual([]);
  });
});
