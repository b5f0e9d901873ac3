// Statistics of a set of analyses: counts per label, source, month and format, distributions of
// call counts (records, and with `repeated` expanded) and of the API-call duration (first to last
// call timestamp), with fixed-edge histograms for the terminal and for charts.
import type { Trace } from '../core/trace.js';
import { countCalls } from '../core/trace.js';
import { traceDuration } from './filters.js';
import type { AnalysisRow } from './store.js';

/** What stats needs of one analysis (a store row or a trace read directly). */
export interface AnalysisFacts {
  sampleId: string;
  label?: string;
  time?: string;
  source?: string;
  format: string;
  calls: number;
  callsExpanded: number;
  durationS?: number;
}

export function factsOfTrace(trace: Trace): AnalysisFacts {
  const { records, expanded } = countCalls(trace);
  return {
    sampleId: trace.id,
    label: trace.label,
    time: trace.time,
    source: trace.source,
    format: trace.format,
    calls: records,
    callsExpanded: expanded,
    durationS: traceDuration(trace),
  };
}

export interface Distribution {
  count: number;
  total: number;
  min: number | null;
  median: number | null;
  mean: number | null;
  p90: number | null;
  max: number | null;
}

export interface HistogramBin {
  lo: number;
  /** Exclusive upper edge; null = open-ended. */
  hi: number | null;
  count: number;
  /** Counts per label in this bin (unlabelled under the empty string). */
  byLabel: Map<string, number>;
}

export interface StatsReport {
  samples: number;
  files: number;
  labels: Map<string, number>;
  unlabelled: number;
  calls: Distribution;
  callsExpanded: Distribution;
  durationS: Distribution;
  noTimestamps: number;
  sources: Map<string, number>;
  months: Map<string, number>;
  formats: Map<string, number>;
  callsHistogram: HistogramBin[];
  durationHistogram: HistogramBin[];
}

/** Nearest-rank quantile of sorted values. */
function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function distribution(values: number[]): Distribution {
  const sorted = Float64Array.from(values).sort();
  const arr = Array.from(sorted);
  const total = arr.reduce((a, b) => a + b, 0);
  const n = arr.length;
  return {
    count: n,
    total,
    min: n ? arr[0] : null,
    median: n ? (n % 2 ? arr[(n - 1) / 2] : (arr[n / 2 - 1] + arr[n / 2]) / 2) : null,
    mean: n ? total / n : null,
    p90: n ? quantile(arr, 0.9) : null,
    max: n ? arr[n - 1] : null,
  };
}

/** Duration bin edges in seconds (the research kept samples finishing within 5 s). */
export const DURATION_EDGES = [0, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

/** 0 and 1-2-5 edges up to the first one past `max`. */
export function callEdges(max: number): number[] {
  const edges = [0];
  for (let decade = 1; edges[edges.length - 1] <= max; decade *= 10) {
    for (const m of [1, 2, 5]) if (edges[edges.length - 1] <= max) edges.push(m * decade);
  }
  return edges;
}

function histogram(points: Array<{ value: number; label: string }>, edges: number[]): HistogramBin[] {
  const bins: HistogramBin[] = edges.map((lo, i) => ({
    lo,
    hi: i + 1 < edges.length ? edges[i + 1] : null,
    count: 0,
    byLabel: new Map(),
  }));
  for (const { value, label } of points) {
    let i = bins.length - 1;
    while (i > 0 && value < bins[i].lo) i--;
    const bin = bins[i];
    bin.count++;
    bin.byLabel.set(label, (bin.byLabel.get(label) ?? 0) + 1);
  }
  // Empty bins before the first and after the last value say nothing.
  const first = bins.findIndex((b) => b.count > 0);
  let last = bins.length - 1;
  while (last > first && bins[last].count === 0) last--;
  return first < 0 ? [] : bins.slice(first, last + 1);
}

function monthOf(time: string | undefined): string {
  const m = time ? /^(\d{4})-(\d{2})/.exec(time) : null;
  return m ? `${m[1]}-${m[2]}` : 'unknown';
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Computes the report over every analysis (values are kept in memory: 3 numbers per analysis). */
export function computeStats(facts: Iterable<AnalysisFacts>): StatsReport {
  const ids = new Set<string>();
  const labels = new Map<string, number>();
  const sources = new Map<string, number>();
  const months = new Map<string, number>();
  const formats = new Map<string, number>();
  const calls: Array<{ value: number; label: string }> = [];
  const expanded: number[] = [];
  const durations: Array<{ value: number; label: string }> = [];
  let samples = 0;
  let unlabelled = 0;
  for (const f of facts) {
    samples++;
    ids.add(f.sampleId);
    if (f.label === undefined) unlabelled++;
    else increment(labels, f.label);
    increment(sources, f.source ?? 'unknown');
    increment(months, monthOf(f.time));
    increment(formats, f.format);
    calls.push({ value: f.calls, label: f.label ?? '' });
    expanded.push(f.callsExpanded);
    if (f.durationS !== undefined) durations.push({ value: f.durationS, label: f.label ?? '' });
  }
  const callsDist = distribution(calls.map((c) => c.value));
  return {
    samples,
    files: ids.size,
    labels,
    unlabelled,
    calls: callsDist,
    callsExpanded: distribution(expanded),
    durationS: distribution(durations.map((d) => d.value)),
    noTimestamps: samples - durations.length,
    sources,
    months,
    formats,
    callsHistogram: histogram(calls, callEdges(callsDist.max ?? 0)),
    durationHistogram: durations.length ? histogram(durations, DURATION_EDGES) : [],
  };
}

function sortedObject(map: Map<string, number>): Record<string, number> {
  // Object.fromEntries defines own properties, so a label named `__proto__` stays a plain key.
  return Object.fromEntries([...map.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

function binJson(b: HistogramBin) {
  return { lo: b.lo, hi: b.hi, count: b.count, by_label: sortedObject(b.byLabel) };
}

/** The `stats --json` document (design.md). */
export function statsJson(r: StatsReport) {
  return {
    samples: r.samples,
    files: r.files,
    labels: sortedObject(r.labels),
    unlabelled: r.unlabelled,
    calls: r.calls,
    calls_expanded: r.callsExpanded,
    duration_s: r.durationS,
    no_timestamps: r.noTimestamps,
    sources: sortedObject(r.sources),
    months: sortedObject(r.months),
    formats: sortedObject(r.formats),
    histograms: {
      calls: r.callsHistogram.map(binJson),
      duration_s: r.durationHistogram.map(binJson),
    },
  };
}

/** A bin's range as text, e.g. `0.5–1 s` or `≥ 300 s`. */
export function binLabel(b: HistogramBin, unit: string): string {
  const u = unit ? ` ${unit}` : '';
  return b.hi === null ? `≥ ${b.lo}${u}` : `${b.lo}–${b.hi}${u}`;
}

/** A horizontal bar histogram for the terminal. */
export function renderHistogram(bins: HistogramBin[], unit: string, width = 40): string[] {
  const max = Math.max(1, ...bins.map((b) => b.count));
  const labels = bins.map((b) => binLabel(b, unit));
  const pad = Math.max(...labels.map((l) => l.length));
  const countPad = Math.max(...bins.map((b) => String(b.count).length));
  return bins.map(
    (b, i) =>
      `  ${labels[i].padStart(pad)} │${'█'.repeat(Math.round((b.count / max) * width)).padEnd(width)} ${String(b.count).padStart(countPad)}`,
  );
}

/** Facts of a stored analysis row (no call sequences needed). */
export function factsOfRow(r: AnalysisRow): AnalysisFacts {
  return {
    sampleId: r.sample_id,
    label: r.label ?? undefined,
    time: r.time ?? undefined,
    source: r.source ?? undefined,
    format: r.format,
    calls: r.calls,
    callsExpanded: r.calls_expanded,
    durationS: r.duration_s ?? undefined,
  };
}
