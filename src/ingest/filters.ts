// Sample filters used by the research behind malgram: process selection, a maximum time span of
// the API calls, and a minimum number of calls.
//
// Duration = last call timestamp − first call timestamp over the sample's selected processes,
// using call timestamps of the same trace only (guest and host clocks differ). A sample with no
// call timestamps at all (CSV data sets, name-only JSONL) has no duration: `--max-duration` keeps
// it and counts it as `no_timestamps`, so the user sees how many were not checked.
import { InputError } from '../core/errors.js';
import type { ProcessTrace, Trace } from '../core/trace.js';
import { countCalls } from '../core/trace.js';

/**
 * The sample's own process (the first listed) and its descendants by ppid; processes unrelated to
 * it (e.g. injected system processes) are dropped. Cycles in ppid links are harmless.
 */
export function processTree(processes: ProcessTrace[]): ProcessTrace[] {
  if (processes.length <= 1) return processes;
  const kept = new Set<number>([processes[0].pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of processes) {
      if (!kept.has(p.pid) && p.ppid !== undefined && kept.has(p.ppid)) {
        kept.add(p.pid);
        grew = true;
      }
    }
  }
  return processes.filter((p) => kept.has(p.pid));
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;
const UNIT_SECONDS = new Map([
  ['ms', 0.001],
  ['s', 1],
  ['m', 60],
  ['h', 3600],
]);

/** Parses `500ms`, `5s`, `2m`, `1h` or a bare number of seconds into seconds. */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m) throw new InputError(`invalid duration "${text}" (examples: 500ms, 5s, 2m)`, '--max-duration');
  return Number(m[1]) * (UNIT_SECONDS.get(m[2] ?? 's') ?? 1);
}

/** Seconds from the first to the last call timestamp of the trace, or undefined without timestamps. */
export function traceDuration(trace: Trace): number | undefined {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const p of trace.processes) {
    for (const c of p.calls) {
      if (c.ts === undefined) continue;
      if (c.ts < min) min = c.ts;
      if (c.ts > max) max = c.ts;
    }
  }
  return min <= max ? max - min : undefined;
}

export interface FilterOptions {
  /** Seconds; samples whose calls span longer are dropped. */
  maxDuration?: number;
  /** Samples with fewer call records are dropped. */
  minCalls?: number;
}

export type FilterVerdict = { keep: true; noTimestamps: boolean } | { keep: false; reason: string };

/** Whether a trace passes the filters (process selection is done by the readers). */
export function applyFilters(trace: Trace, filters: FilterOptions): FilterVerdict {
  if (filters.minCalls !== undefined) {
    const { records } = countCalls(trace);
    if (records < filters.minCalls)
      return { keep: false, reason: `${records} calls < --min-calls ${filters.minCalls}` };
  }
  let noTimestamps = false;
  if (filters.maxDuration !== undefined) {
    const duration = traceDuration(trace);
    if (duration === undefined) noTimestamps = true;
    else if (duration > filters.maxDuration)
      return {
        keep: false,
        reason: `calls span ${duration.toFixed(3)} s > --max-duration ${filters.maxDuration} s`,
      };
  }
  return { keep: true, noTimestamps };
}
