// `malgram stats`: counts per label, source, month; call-count and API-call duration distributions.
import type { Command } from 'commander';
import { openSamples } from '../../ingest/source.js';
import {
  type AnalysisFacts,
  computeStats,
  factsOfRow,
  factsOfTrace,
  renderHistogram,
  type StatsReport,
  statsJson,
} from '../../ingest/stats.js';
import { writeStatsChart } from '../../ingest/stats-chart.js';
import { DEFAULT_DB, SampleStore } from '../../ingest/store.js';
import { log, printJson } from '../io.js';
import { addSourceOptions, type SourceFlags, sourceFromOptions } from '../source-options.js';

interface StatsFlags extends SourceFlags {
  json?: boolean;
  chart?: string;
}

async function collectFacts(flags: StatsFlags): Promise<AnalysisFacts[]> {
  const src = sourceFromOptions(flags, [], { detail: 'api', defaultDb: DEFAULT_DB });
  if (src.db !== undefined) {
    const store = SampleStore.open(src.db, { mustExist: true, readonly: true });
    try {
      return [...store.analyses()].map(factsOfRow);
    } finally {
      store.close();
    }
  }
  const facts: AnalysisFacts[] = [];
  for await (const t of openSamples(src)) facts.push(factsOfTrace(t));
  return facts;
}

function fmt(n: number | null, digits = 0): string {
  return n === null ? '-' : n.toFixed(digits);
}

function counts(title: string, map: Map<string, number>): string[] {
  const entries = [...map.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return [title, ...entries.map(([k, v]) => `  ${JSON.stringify(k)}: ${v}`)];
}

function printText(r: StatsReport): void {
  const c = r.calls;
  const e = r.callsExpanded;
  const d = r.durationS;
  const lines = [
    `analyses (samples): ${r.samples}`,
    `distinct sample ids (files): ${r.files}`,
    ...counts('per label:', r.labels),
    ...(r.unlabelled ? [`  (unlabelled): ${r.unlabelled}`] : []),
    `call records per analysis: total ${c.total}, min ${fmt(c.min)}, median ${fmt(c.median, 1)}, mean ${fmt(c.mean, 1)}, p90 ${fmt(c.p90)}, max ${fmt(c.max)}`,
    `calls with repeats expanded: total ${e.total}, min ${fmt(e.min)}, median ${fmt(e.median, 1)}, max ${fmt(e.max)}`,
    d.count > 0
      ? `API-call duration (s), ${d.count} analyses with timestamps: min ${fmt(d.min, 3)}, median ${fmt(d.median, 3)}, p90 ${fmt(d.p90, 3)}, max ${fmt(d.max, 3)}`
      : 'API-call duration: no call timestamps in these analyses',
    ...counts('per source:', r.sources),
    ...counts('per month:', r.months),
    ...counts('per format:', r.formats),
  ];
  if (r.durationHistogram.length > 0) {
    lines.push(
      `API-call duration distribution (${d.count} analyses):`,
      ...renderHistogram(r.durationHistogram, 's'),
    );
  }
  lines.push(
    `call records per analysis (${r.samples} analyses):`,
    ...renderHistogram(r.callsHistogram, 'calls'),
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function register(program: Command): void {
  addSourceOptions(
    program
      .command('stats')
      .description('counts per label/source/month, call-count and API-call duration distributions')
      .addHelpText('after', `\nWithout --db or --data, reads the store ${DEFAULT_DB}.`),
  )
    .option('--json', 'one JSON document on stdout')
    .option('--chart <file>', 'write the distributions as a chart (.svg, or .html for a page)')
    .action(async (flags: StatsFlags) => {
      const report = computeStats(await collectFacts(flags));
      if (flags.chart) {
        await writeStatsChart(flags.chart, report, `malgram stats: ${report.samples} analyses`);
        log(`chart written to ${flags.chart}`, flags.json);
      }
      if (flags.json) printJson(statsJson(report));
      else printText(report);
    });
}
