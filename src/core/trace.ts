// The canonical behaviour trace every reader produces and every later stage consumes.
//
// Everything in a trace comes from malware: API names, argument names and values, labels and
// ids are untrusted strings. That is why arguments live in a Map (an API or argument called
// `__proto__` or `constructor` must pass through untouched) and why nothing here is ever used
// as the key of a plain object.

/** An argument value as the report gives it (Cuckoo 2.0 keeps JSON types; lists/objects become JSON text). */
export type ArgValue = string | number | boolean | null;

/** One recorded API call. */
export interface Call {
  /** API name, e.g. `NtWriteVirtualMemory`. */
  api: string;
  /** Monitor category (`process`, `registry`, ...), when the format has it. */
  category?: string;
  /** Arguments by name, in report order; the first value wins for a duplicated name. */
  args?: Map<string, ArgValue>;
  /** Return value as reported: a number (Cuckoo 2.0) or the report's string (e.g. `0x00000000`). */
  ret?: string | number;
  /** Whether the call succeeded, when the format says. */
  status?: boolean;
  /** Seconds; only comparable with other call times of the same trace (guest clock). */
  ts?: number;
  /** Thread id, when the format has it. */
  tid?: string;
  /** Extra identical consecutive calls the monitor collapsed into this record (0 or absent = seen once). */
  repeated?: number;
}

/** One monitored process and its calls in order. */
export interface ProcessTrace {
  pid: number;
  ppid?: number;
  name?: string;
  /** Full image path, when known. */
  path?: string;
  commandLine?: string;
  /** Seconds, same clock as call times, when the format has it. */
  firstSeen?: number;
  calls: Call[];
  /** The calls' API names as ids, when the trace was interned (traces loaded in memory). */
  interned?: InternedCalls;
}

/**
 * API names as ids in the vocabulary whose `token` is `vocabulary` (src/core/api-vocabulary.ts),
 * same length and order as `calls`. Derived data: whoever changes `calls` drops it.
 */
export interface InternedCalls {
  vocabulary: number;
  ids: Int32Array;
}

/** Labels found in the report itself (e.g. VirusTotal), kept so thresholds can change later. */
export interface ReportEvidence {
  /** Number of antivirus engines that flagged the file, and how many scanned it. */
  virustotal?: { positives: number; total: number };
}

/** One analysis: one run of one file. */
export interface Trace {
  /** Sample id: sha256 where known, else the input's own id (CSV first column, JSONL `id`). */
  id: string;
  label?: string;
  /** ISO-8601 analysis time, when known. */
  time?: string;
  /** Where the sample came from (feed, sandbox, data set). */
  source?: string;
  /** The format it was read from (`cuckoo`, `cape`, `csv`, `jsonl`, ...). */
  format: string;
  /** Identity of the analysis: content hash of the report, or data-set hash plus row number. */
  origin?: string;
  processes: ProcessTrace[];
  evidence?: ReportEvidence;
}

/** All API names of a trace, process by process, in order (records as listed, repeats not expanded). */
export function apiSequences(trace: Trace): string[][] {
  return trace.processes.map((p) => p.calls.map((c) => c.api));
}

/** Number of call records in a trace, and the number with `repeated` expanded. */
export function countCalls(trace: Trace): { records: number; expanded: number } {
  let records = 0;
  let expanded = 0;
  for (const p of trace.processes) {
    records += p.calls.length;
    for (const c of p.calls) expanded += 1 + (c.repeated ?? 0);
  }
  return { records, expanded };
}
