// Ingesting input files into the sample store: read every file (any format), label, filter,
// and add in batches (one transaction per batch, so a killed process keeps what was committed).
// Every problem is counted and reported as one line; the batch goes on.
import { stat } from 'node:fs/promises';
import type { Trace } from '../core/trace.js';
import { applyFilters, type FilterOptions } from './filters.js';
import { readerFor } from './formats.js';
import { sha256File } from './input-file.js';
import { applyLabel, type LabelPolicy } from './labels.js';
import type { ReadIssue } from './reader.js';
import { expandPaths, readFile } from './source.js';
import type { SampleStore } from './store.js';

export interface IngestOptions {
  format?: string;
  processes?: 'tree' | 'all';
  labels?: LabelPolicy;
  filters?: FilterOptions;
  /** Analyses per transaction. */
  batchSize?: number;
  onIssue?: (issue: ReadIssue) => void;
  /** Called with (raw bytes done over all files, total raw bytes). */
  onProgress?: (done: number, total: number) => void;
}

export interface IngestSummary {
  files: number;
  /** Analyses added to the store. */
  ingested: number;
  /** Analyses already in the store (same origin). */
  duplicate: number;
  /** Analyses left out by --max-duration / --min-calls. */
  filtered: number;
  /** Files, lines or samples that could not be read (each reported). */
  skipped: number;
  /** Kept analyses that --max-duration could not check (no call timestamps). */
  no_timestamps: number;
  /** Ingested analyses without a label. */
  unlabelled: number;
}

export async function ingestPaths(
  store: SampleStore,
  paths: string[],
  opts: IngestOptions = {},
): Promise<IngestSummary> {
  if (opts.format !== undefined && opts.format !== 'auto') readerFor(opts.format); // a bad name is a usage error
  const files = await expandPaths(paths);
  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  const summary: IngestSummary = {
    files: files.length,
    ingested: 0,
    duplicate: 0,
    filtered: 0,
    skipped: 0,
    no_timestamps: 0,
    unlabelled: 0,
  };
  const onIssue = (issue: ReadIssue) => {
    summary.skipped++;
    opts.onIssue?.(issue);
  };
  const batchSize = opts.batchSize ?? 500;
  let batch: Array<{ trace: Trace; inputPath: string }> = [];
  const flush = () => {
    if (batch.length === 0) return;
    const added = store.addBatch(batch);
    added.forEach((wasAdded, i) => {
      if (!wasAdded) summary.duplicate++;
      else {
        summary.ingested++;
        if (batch[i].trace.label === undefined) summary.unlabelled++;
      }
    });
    batch = [];
  };
  let doneBytes = 0;
  for (const [f, file] of files.entries()) {
    let fileHash: string | undefined;
    let index = 0;
    for await (const trace of readFile(file, {
      format: opts.format,
      processes: opts.processes,
      detail: 'full',
      onIssue,
      onProgress: (bytes) => opts.onProgress?.(doneBytes + bytes, totalBytes),
    })) {
      if (!trace.origin) {
        // A reader that gives no origin: the file's content hash (+ position for many per file).
        fileHash ??= `sha256:${await sha256File(file)}`;
        trace.origin = index === 0 ? fileHash : `${fileHash}#${index}`;
      }
      index++;
      if (opts.labels) applyLabel(trace, opts.labels);
      if (opts.filters) {
        const verdict = applyFilters(trace, opts.filters);
        if (!verdict.keep) {
          summary.filtered++;
          continue;
        }
        if (verdict.noTimestamps) summary.no_timestamps++;
      }
      batch.push({ trace, inputPath: file });
      if (batch.length >= batchSize) flush();
    }
    flush();
    doneBytes += sizes[f];
    opts.onProgress?.(doneBytes, totalBytes);
  }
  flush();
  return summary;
}
