// The `stats --chart FILE` chart: histograms of API-call duration and call counts, stacked by
// label, drawn with Vega-Lite (compiled to Vega, rendered to SVG in Node, no browser needed).
// `.html` files get the SVG inside a self-contained page; anything else gets the bare SVG.
import { rename, writeFile } from 'node:fs/promises';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { binLabel, type HistogramBin, type StatsReport } from './stats.js';

function rows(bins: HistogramBin[], unit: string) {
  return bins.flatMap((b, order) =>
    [...b.byLabel.entries()].map(([label, count]) => ({
      bin: binLabel(b, unit),
      order,
      label: label || '(none)',
      count,
    })),
  );
}

function histogramSpec(title: string, xTitle: string, values: ReturnType<typeof rows>) {
  return {
    title,
    width: 520,
    height: 220,
    data: { values },
    mark: { type: 'bar' as const },
    encoding: {
      x: {
        field: 'bin',
        type: 'ordinal' as const,
        sort: { field: 'order' },
        title: xTitle,
        axis: { labelAngle: -30 },
      },
      y: { field: 'count', type: 'quantitative' as const, aggregate: 'sum' as const, title: 'analyses' },
      color: { field: 'label', type: 'nominal' as const, title: 'label' },
      tooltip: [{ field: 'label' }, { field: 'count', aggregate: 'sum' as const }],
    },
  };
}

/** Renders the stats chart as an SVG string. */
export async function statsChartSvg(report: StatsReport): Promise<string> {
  const charts = [];
  if (report.durationHistogram.length > 0)
    charts.push(
      histogramSpec(
        `API-call duration (first to last call), ${report.durationS.count} of ${report.samples} analyses with timestamps`,
        'duration',
        rows(report.durationHistogram, 's'),
      ),
    );
  charts.push(
    histogramSpec(
      `Call records per analysis (${report.samples} analyses)`,
      'call records',
      rows(report.callsHistogram, ''),
    ),
  );
  const spec = {
    vconcat: charts,
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  } as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;',
  );
}

/** Writes the chart atomically (temp file + rename): SVG, or HTML when the name ends in .html/.htm. */
export async function writeStatsChart(path: string, report: StatsReport, title: string): Promise<void> {
  const svg = await statsChartSvg(report);
  const content = /\.html?$/i.test(path)
    ? `<!doctype html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body style="font-family:sans-serif">\n<h1>${escapeHtml(title)}</h1>\n${svg}\n</body></html>\n`
    : svg;
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}
