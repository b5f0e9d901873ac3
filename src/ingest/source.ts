// Where samples come from, for every command that reads them: a store file (`--db`) or input
// files and folders read directly (`--data`, positional paths), in any registered format.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { internApiIds } from '../core/api-vocabulary.js';
import { cannotRead, InputError } from '../core/errors.js';
import type { Trace } from '../core/trace.js';
import { applyFilters, type FilterOptions } from './filters.js';
import { readerFor, readerForFile } from './formats.js';
import type { ReadIssue } from './reader.js';
import { openStoreTraces } from './store.js';

export interface SampleSource {
  /** Read analyses from this store file. */
  db?: string;
  /** Or read these files/folders directly (folders: every file inside, recursively, sorted). */
  data?: string[];
  /** `auto` (default) or a registered format name; applies to `data`. */
  format?: string;
  /** Default `full`. */
  detail?: 'full' | 'api';
  /** Default `tree` (applies when reading files; a store holds what ingest selected). */
  processes?: 'tree' | 'all';
  /** Samples failing these filters are left out silently. */
  filters?: FilterOptions;
  /** Called for every skipped file, line or sample; default: one line on stderr. */
  onIssue?: (issue: ReadIssue) => void;
  /** Called with raw bytes read of the current file (for progress bars). */
  onProgress?: (bytesRead: number) => void;
}

/** Formats an issue as the one-line message users see. */
export function formatIssue(issue: ReadIssue): string {
  return `${issue.where}${issue.offset !== undefined ? ` (byte ${issue.offset})` : ''}: ${issue.reason}`;
}

function printIssue(issue: ReadIssue): void {
  process.stderr.write(`malgram: skipped ${formatIssue(issue)}\n`);
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile()) out.push(p);
  }
}

/**
 * The files behind the given paths: files as given, folders expanded recursively (sorted by
 * name; symbolic links inside folders are not followed). A path that does not exist is an InputError.
 */
export async function expandPaths(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(p);
    } catch (err) {
      throw cannotRead(err, p);
    }
    if (st.isDirectory()) await walk(p, files);
    else files.push(p);
  }
  return files;
}

/** Reads the traces of one file; a fatal problem with the file is reported and ends the file. */
export async function* readFile(
  path: string,
  src: Omit<SampleSource, 'db' | 'data'> & { onIssue: (issue: ReadIssue) => void },
): AsyncGenerator<Trace> {
  try {
    const reader = await readerForFile(path, src.format);
    yield* reader.read(path, {
      detail: src.detail ?? 'full',
      processes: src.processes ?? 'tree',
      onIssue: src.onIssue,
      onProgress: src.onProgress,
    });
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    // InputError's message is `where: reason`; keep the two apart for the issue.
    const where = err.where ?? path;
    src.onIssue({ where, reason: err.where ? err.message.slice(err.where.length + 2) : err.message });
  }
}

/** Streams every sample of the source, in order. */
export async function* openSamples(src: SampleSource): AsyncGenerator<Trace> {
  const onIssue = src.onIssue ?? printIssue;
  const keep = (t: Trace) => !src.filters || applyFilters(t, src.filters).keep;
  if (src.db !== undefined) {
    if (src.data && src.data.length > 0) throw new InputError('give either --db or --data, not both');
    for (const t of openStoreTraces(src.db, { detail: src.detail ?? 'full' })) if (keep(t)) yield t;
    return;
  }
  if (!src.data || src.data.length === 0)
    throw new InputError('no samples given: use --db FILE or --data PATH');
  if (src.format !== undefined && src.format !== 'auto') readerFor(src.format); // a bad name is a usage error
  for (const file of await expandPaths(src.data)) {
    for await (const t of readFile(file, { ...src, onIssue })) if (keep(t)) yield t;
  }
}

/** Every sample of the source in memory, API names interned (for data sets that fit; prefer openSamples). */
export async function loadSamples(src: SampleSource): Promise<Trace[]> {
  const out: Trace[] = [];
  for await (const t of openSamples(src)) out.push(internApiIds(t));
  return out;
}
