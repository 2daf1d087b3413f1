import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  DashboardLinkBuilder,
  DashboardLinkType,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  type Dashboard,
  type DataTransformerConfig,
  type DynamicConfigValue,
} from '@grafana/grafana-foundation-sdk/dashboard';
import * as gauge from '@grafana/grafana-foundation-sdk/gauge';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/**
 * The conventions every bursar dashboard follows, in one place: one `datasource` variable
 * that every panel and variable uses, label variables refreshed on time-range change, stable
 * uids, a title, a description and a unit on every panel, and a 24-column grid filled in order.
 */

export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

export interface Query {
  expr: string;
  legend?: string;
  /** Tables read one value per series at the end of the range. */
  instant?: boolean;
}

interface PanelBase {
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  /** Grid width (of 24) and height. */
  w: number;
  h?: number;
}

export type PanelSpec =
  | (PanelBase & { kind: 'timeseries'; bars?: boolean; thresholdLine?: number; min?: number })
  | (PanelBase & { kind: 'gauge'; min: number; max: number; steps: [number, string][] })
  | (PanelBase & { kind: 'stat' })
  | (PanelBase & { kind: 'table'; columns?: Record<string, string>; columnUnits?: Record<string, string> });

export interface LabelVariable {
  name: string;
  label: string;
  /** `label_values(<series selector>, <label>)`. */
  query: string;
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  variables: LabelVariable[];
  panels: PanelSpec[];
}

function labelVariable(v: LabelVariable) {
  return new QueryVariableBuilder(v.name)
    .label(v.label)
    .datasource(DATASOURCE)
    .query(v.query)
    .definition(v.query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all' });
}

function targets(queries: Query[], table = false) {
  return queries.map((q, i) => {
    const t = new DataqueryBuilder()
      .datasource(DATASOURCE)
      .refId(String.fromCharCode(65 + i))
      .expr(q.expr)
      .legendFormat(q.legend ?? '__auto');
    if (q.instant || table) t.instant().format(table ? PromQueryFormat.Table : PromQueryFormat.TimeSeries);
    else t.range();
    return t;
  });
}

function steps(pairs: [number, string][]) {
  return new ThresholdsConfigBuilder()
    .mode(ThresholdsMode.Absolute)
    .steps(pairs.map(([value, color], i) => ({ value: i === 0 ? null : value, color })) as never);
}

/** Gauges and stats show each series' last value, one per series. */
const lastValue = () => new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);

const unitProperty = (unit: string): DynamicConfigValue => ({ id: 'unit', value: unit });

function panelBuilder(p: PanelSpec) {
  switch (p.kind) {
    case 'timeseries': {
      const b = new timeseries.PanelBuilder()
        .legend(
          new common.VizLegendOptionsBuilder()
            .showLegend(true)
            .displayMode(common.LegendDisplayMode.List)
            .placement(common.LegendPlacement.Bottom),
        )
        .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi))
        .fillOpacity(p.bars ? 80 : 10);
      if (p.bars) b.drawStyle(common.GraphDrawStyle.Bars);
      if (p.min !== undefined) b.min(p.min);
      if (p.thresholdLine !== undefined) {
        b.thresholds(
          steps([
            [0, 'green'],
            [p.thresholdLine, 'red'],
          ]),
        ).thresholdsStyle(
          new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed),
        );
      }
      return withTargets(b, p.queries);
    }
    case 'gauge':
      return withTargets(
        new gauge.PanelBuilder().reduceOptions(lastValue()).min(p.min).max(p.max).thresholds(steps(p.steps)),
        p.queries,
      );
    case 'stat':
      return withTargets(
        new stat.PanelBuilder().reduceOptions(lastValue()).graphMode(common.BigValueGraphMode.None),
        p.queries,
      );
    case 'table': {
      const b = withTargets(new table.PanelBuilder(), p.queries, true);
      // One row per series: the instant queries' values side by side, labels as columns.
      b.withTransformation({ id: 'merge', options: {} } satisfies DataTransformerConfig);
      if (p.columns) {
        b.withTransformation({
          id: 'organize',
          options: { excludeByName: { Time: true }, renameByName: p.columns },
        });
      }
      for (const [column, unit] of Object.entries(p.columnUnits ?? {}))
        b.overrideByName(column, [unitProperty(unit)]);
      return b;
    }
  }
}

type AnyPanelBuilder = timeseries.PanelBuilder | gauge.PanelBuilder | stat.PanelBuilder | table.PanelBuilder;

function withTargets<B extends AnyPanelBuilder>(b: B, queries: Query[], asTable = false): B {
  for (const t of targets(queries, asTable)) b.withTarget(t);
  return b;
}

/** Builds the Grafana dashboard JSON model from a spec. */
export function buildDashboard(spec: DashboardSpec): Dashboard {
  const d = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags(['bursar'])
    .editable()
    .time({ from: 'now-6h', to: 'now' })
    .refresh('30s')
    .timezone('browser')
    .link(
      new DashboardLinkBuilder('bursar dashboards')
        .type(DashboardLinkType.Dashboards)
        .tags(['bursar'])
        .asDropdown(true)
        .includeVars(false)
        .keepTime(true),
    )
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'));
  for (const v of spec.variables) d.withVariable(labelVariable(v));

  let x = 0;
  let y = 0;
  let rowHeight = 0;
  spec.panels.forEach((p, i) => {
    const h = p.h ?? 8;
    if (x + p.w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const b = panelBuilder(p)
      .id(i + 1)
      .title(p.title)
      .description(p.description)
      .unit(p.unit)
      .datasource(DATASOURCE)
      .gridPos({ x, y, w: p.w, h });
    d.withPanel(b);
    x += p.w;
    rowHeight = Math.max(rowHeight, h);
  });
  return d.build();
}
