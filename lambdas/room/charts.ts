import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { type Html, html, trustedHtml } from './html.ts';

/**
 * Trend charts drawn on the server as SVG by Apache ECharts (its server-side renderer): a chart is
 * part of the page, needs no script, prints, and is read out by a screen reader through its title
 * and description. Each chart comes with the same figures as a table, for those who cannot see it
 * and for the auditor who wants the numbers.
 */
// Only what the room draws, so the pack job's bundle stays small.
echarts.use([BarChart, LineChart, GridComponent, LegendComponent, MarkLineComponent, SVGRenderer]);

export interface ChartSeries {
  readonly name: string;
  /** One value per category; null where the period has no figure. */
  readonly values: readonly (number | null)[];
  readonly kind: 'bar' | 'line';
  /** Bars of the same stack are stacked. */
  readonly stack?: string;
}

export interface ChartSpec {
  /** Unique in the page: ids of the title and description derive from it. */
  readonly id: string;
  readonly title: string;
  /** One or two sentences saying what the chart shows, for screen readers and the caption. */
  readonly description: string;
  readonly categories: readonly string[];
  readonly series: readonly ChartSeries[];
  /** A horizontal line the values should stay below (a policy threshold). */
  readonly threshold?: { readonly name: string; readonly value: number };
  readonly unit: 'count' | 'percent';
}

/** Colours that keep their contrast on white and in greyscale print (Okabe–Ito, colour-blind safe). */
const PALETTE = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#000000',
  '#882255',
  '#44AA99',
  '#999933',
  '#332288',
  '#AA4499',
  '#117733',
  '#DDCC77',
  '#88CCEE',
  '#661100',
];
const WIDTH = 720;
const PLOT_HEIGHT = 260;
/** Legend entries per row at this width (control ids are the longest names). */
const LEGEND_PER_ROW = 4;
const LEGEND_ROW_HEIGHT = 22;

function formatValue(value: number | null, unit: ChartSpec['unit']): string {
  if (value === null) return '—';
  return unit === 'percent' ? `${(value * 100).toFixed(1)} %` : String(value);
}

export function renderChartSvg(spec: ChartSpec): string {
  const legendRows = Math.max(1, Math.ceil(spec.series.length / LEGEND_PER_ROW));
  const legendHeight = legendRows * LEGEND_ROW_HEIGHT + 8;
  const chart = echarts.init(null, null, {
    renderer: 'svg',
    ssr: true,
    width: WIDTH,
    height: PLOT_HEIGHT + legendHeight + 40,
  });
  try {
    const percent = spec.unit === 'percent';
    chart.setOption({
      animation: false,
      color: PALETTE,
      textStyle: { fontFamily: 'system-ui, sans-serif', fontSize: 12, color: '#1f2328' },
      grid: { left: 64, right: 32, top: legendHeight + 16, bottom: 32 },
      legend: { top: 0, left: 8, right: 8, type: 'plain', textStyle: { color: '#1f2328' } },
      xAxis: { type: 'category', data: [...spec.categories], axisLabel: { color: '#1f2328' } },
      yAxis: {
        type: 'value',
        minInterval: percent ? 0 : 1,
        axisLabel: {
          color: '#1f2328',
          formatter: percent ? (v: number) => `${Math.round(v * 1000) / 10} %` : '{value}',
        },
      },
      series: spec.series.map((s, i) => ({
        type: s.kind,
        name: s.name,
        data: [...s.values],
        ...(s.stack ? { stack: s.stack } : {}),
        ...(s.kind === 'line' ? { symbolSize: 8, lineStyle: { width: 2 }, connectNulls: false } : {}),
        ...(i === 0 && spec.threshold
          ? {
              markLine: {
                symbol: 'none',
                silent: true,
                lineStyle: { color: '#B00020', type: 'dashed', width: 2 },
                label: {
                  formatter: `${spec.threshold.name}: ${formatValue(spec.threshold.value, spec.unit)}`,
                  color: '#B00020',
                },
                data: [{ yAxis: spec.threshold.value }],
              },
            }
          : {}),
      })),
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/**
 * The renderer numbers its instances and their style classes process-wide (`zr3-cls-41`): each id
 * is renamed after the chart and renumbered in order of appearance, so ids stay unique in the page
 * and the same chart renders to the same bytes in any process.
 */
function renumberIds(svg: string, chartId: string): string {
  const renamed = new Map<string, string>();
  const counts = new Map<string, number>();
  return svg.replace(/\bzr\d+-([a-z]+-?)(\d+)/g, (token, kind: string) => {
    let name = renamed.get(token);
    if (!name) {
      const n = counts.get(kind) ?? 0;
      counts.set(kind, n + 1);
      name = `${chartId}-${kind}${n}`;
      renamed.set(token, name);
    }
    return name;
  });
}

/** The chart as a figure: SVG with its title and description, a caption, and the data table. */
export function chartFigure(spec: ChartSpec): Html {
  const titleId = `${spec.id}-title`;
  const descId = `${spec.id}-desc`;
  const svg = renumberIds(renderChartSvg(spec), spec.id).replace(
    /^<svg /,
    `<svg role="img" aria-labelledby="${titleId} ${descId}" focusable="false" class="chart-svg" `,
  );
  return html`<figure class="chart" id="${spec.id}" aria-labelledby="${titleId}">
<h3 id="${titleId}">${spec.title}</h3>
<p id="${descId}" class="chart-desc">${spec.description}</p>
${trustedHtml(svg)}
<table class="chart-data">
<caption>${spec.title}: the figures</caption>
<thead><tr><th scope="col">Series</th>${spec.categories.map((c) => html`<th scope="col" class="num">${c}</th>`)}</tr></thead>
<tbody>${spec.series.map(
    (s) =>
      html`<tr><th scope="row">${s.name}</th>${spec.categories.map(
        (_, i) => html`<td class="num">${formatValue(s.values[i] ?? null, spec.unit)}</td>`,
      )}</tr>`,
  )}${
    spec.threshold
      ? html`<tr><th scope="row">${spec.threshold.name}</th>${spec.categories.map(
          () => html`<td class="num">${formatValue(spec.threshold?.value ?? null, spec.unit)}</td>`,
        )}</tr>`
      : ''
  }</tbody>
</table>
</figure>`;
}
