import { describe, expect, it } from 'vitest';
import { DASHBOARD_UIDS } from '../../alerts/generator/config.ts';
import { committedDashboards } from './committed.ts';
import { metricNames, panelQueries, variableRefs } from './promql.ts';

/**
 * Static checks of the conventions (after grafana's dashboard-linter): one `datasource`
 * variable used everywhere, label variables refreshed on time-range change, stable uids,
 * title + description + unit on every panel, `$__rate_interval` in rate().
 */

const dashboards = committedDashboards();
const DS = '${datasource}';

describe.each(dashboards.map((d) => [d.title, d] as const))('%s', (_title, d) => {
  it('has a stable uid from DASHBOARD_UIDS and schemaVersion 42', () => {
    expect(Object.values(DASHBOARD_UIDS)).toContain(d.uid);
    expect(d.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(d.schemaVersion).toBe(42);
  });

  it('has exactly one datasource variable, named datasource, for Prometheus', () => {
    const ds = d.templating.list.filter((v) => v.type === 'datasource');
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ name: 'datasource', query: 'prometheus' });
  });

  it('uses the datasource variable in every panel, target and query variable', () => {
    for (const p of d.panels) {
      expect(p.datasource?.uid, p.title).toBe(DS);
      for (const t of p.targets) expect(t.datasource?.uid, `${p.title} ${t.refId}`).toBe(DS);
    }
    for (const v of d.templating.list.filter((x) => x.type === 'query'))
      expect(v.datasource?.uid, v.name).toBe(DS);
  });

  it('refreshes its label variables on time-range change, with All meaning .*', () => {
    const labels = d.templating.list.filter((v) => v.type === 'query');
    expect(labels.length).toBeGreaterThan(0);
    for (const v of labels) {
      expect(v.refresh, v.name).toBe(2);
      expect(v.includeAll, v.name).toBe(true);
      expect(v.allValue, v.name).toBe('.*');
      expect(v.query, v.name).toMatch(/^label_values\(/);
    }
  });

  it('gives every panel a title, a description and a unit, unique ids and refIds', () => {
    const ids = new Set<number>();
    for (const p of d.panels) {
      expect(p.title?.trim(), `panel ${p.id}`).toBeTruthy();
      expect(p.description?.trim(), p.title).toBeTruthy();
      expect(p.fieldConfig.defaults.unit?.trim(), p.title).toBeTruthy();
      expect(ids.has(p.id), `id ${p.id}`).toBe(false);
      ids.add(p.id);
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      expect(new Set(p.targets.map((t) => t.refId)).size, p.title).toBe(p.targets.length);
    }
  });

  it('uses $__rate_interval in rate() and irate(), and $__rate_interval or $__range in increase()', () => {
    for (const q of panelQueries(d)) {
      for (const m of q.expr.matchAll(/\b(rate|irate|increase)\([^[]*\[([^\]]+)\]/g)) {
        const allowed = m[1] === 'increase' ? ['$__rate_interval', '$__range'] : ['$__rate_interval'];
        expect(allowed, `${q.panel}: ${m[0]}`).toContain(m[2]);
      }
    }
  });

  it('only references variables it defines, and uses every label variable', () => {
    const defined = new Set(d.templating.list.map((v) => v.name));
    const used = new Set<string>();
    for (const q of panelQueries(d))
      for (const v of variableRefs(q.expr)) {
        expect(defined, `${q.panel} uses $${v}`).toContain(v);
        used.add(v);
      }
    for (const v of d.templating.list.filter((x) => x.type === 'query'))
      for (const ref of variableRefs(v.query ?? '')) expect(defined).toContain(ref);
    for (const v of d.templating.list.filter((x) => x.type === 'query'))
      expect(used, v.name).toContain(v.name);
  });

  it('lays panels out on the 24-column grid without overlaps', () => {
    const cells = new Set<string>();
    for (const p of d.panels) {
      const g = p.gridPos;
      expect(g.x + g.w, p.title).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++)
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
    }
  });

  it('selects at least one metric in every query', () => {
    for (const q of panelQueries(d))
      expect(metricNames(q.expr).size, `${q.panel}: ${q.expr}`).toBeGreaterThan(0);
  });
});

describe('all dashboards', () => {
  it('have distinct uids and together filter by tenant, agent, model and budget', () => {
    expect(new Set(dashboards.map((d) => d.uid)).size).toBe(dashboards.length);
    const vars = new Set(dashboards.flatMap((d) => d.templating.list.map((v) => v.name)));
    for (const v of ['tenant', 'agent', 'model', 'budget']) expect(vars).toContain(v);
  });

  it('read the GenAI client histograms under both Prometheus names', () => {
    const genai = dashboards.find((d) => d.uid === DASHBOARD_UIDS.genai)!;
    for (const q of panelQueries(genai)) {
      const names = [...metricNames(q.expr)];
      for (const n of names.filter((x) => /_(bucket|count)$/.test(x) && !x.includes('_seconds_'))) {
        const suffixed = n.replace(/_(bucket|count)$/, '_seconds_$1');
        expect(names, `${q.panel}: ${n} without ${suffixed}`).toContain(suffixed);
      }
    }
  });
});
