// The contract every input reader implements: one reader per format, streaming (never the whole
// file in memory), all producing the same Trace (src/core/trace.ts).
import type { Trace } from '../core/trace.js';

/** A problem with one sample or line: reported, the sample skipped, the rest goes on. */
export interface ReadIssue {
  /** File path, with `:line` for line formats. */
  where: string;
  /** Byte offset of the problem when known (JSON syntax errors). */
  offset?: number;
  reason: string;
}

export interface ReadOptions {
  /**
   * `full` keeps arguments, return values, threads; `api` keeps only api, category, ts and
   * repeated (enough for n-grams, durations and stats; far less memory on huge reports).
   */
  detail: 'full' | 'api';
  /** `tree`: the sample's own process and its descendants; `all`: every monitored process. */
  processes: 'tree' | 'all';
  /** Called for every skipped sample or line. */
  onIssue?: (issue: ReadIssue) => void;
  /** Called with the number of input bytes consumed so far (for progress bars). */
  onProgress?: (bytesRead: number) => void;
}

/** One supported input format. */
export interface SampleReader {
  /** The `--format` name. */
  readonly format: string;
  /** Confidence (0 = no, 1 = certain) that these first bytes (already gunzipped) are this format. */
  sniff(head: Buffer, path: string): number;
  /**
   * Streams the samples of one input (a file path; `.gz` is decompressed transparently).
   * A report file yields one trace; a data-set file (CSV, JSONL) yields one per row/line.
   * A fatal problem with the whole input (unreadable, truncated, no behaviour) throws an
   * InputError naming the file (and byte offset for JSON syntax errors).
   */
  read(path: string, options: ReadOptions): AsyncIterable<Trace>;
}
