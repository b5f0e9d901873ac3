// The format registry: one SampleReader per `--format` name, and `auto` detection by content
// (the first bytes, gunzipped when the file is gzip-compressed). Adding a format = one reader
// file plus one line in `readers` below.
import { InputError } from '../core/errors.js';
import { readHead } from './input-file.js';
import type { SampleReader } from './reader.js';
import { capeReader } from './readers/cape.js';
import { csvReader } from './readers/csv.js';
import { cuckooReader } from './readers/cuckoo.js';
import { jsonlReader } from './readers/jsonl.js';

const readers: SampleReader[] = [cuckooReader, capeReader, csvReader, jsonlReader];

/** Every registered format name. */
export function formatNames(): string[] {
  return readers.map((r) => r.format);
}

/** The reader of a format name (not `auto`); unknown names are an InputError. */
export function readerFor(format: string): SampleReader {
  const reader = readers.find((r) => r.format === format);
  if (!reader)
    throw new InputError(`unknown format "${format}" (known: auto, ${formatNames().join(', ')})`, '--format');
  return reader;
}

/** Minimum sniff confidence for `auto` to accept a format. */
const MIN_CONFIDENCE = 0.25;

/** Detects the format of a file by its content; an unrecognised file is an InputError naming it. */
export async function detectFormat(path: string): Promise<SampleReader> {
  let head: Buffer;
  try {
    head = await readHead(path);
  } catch (err) {
    throw new InputError(
      `cannot open: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      path,
    );
  }
  let best: SampleReader | undefined;
  let bestScore = 0;
  for (const reader of readers) {
    const score = reader.sniff(head, path);
    if (score > bestScore) {
      best = reader;
      bestScore = score;
    }
  }
  if (!best || bestScore < MIN_CONFIDENCE) {
    throw new InputError(`unknown format (not ${formatNames().join(', ')}); use --format to say which`, path);
  }
  return best;
}

/** The reader for a file: the named one, or detected when `format` is `auto` or absent. */
export async function readerForFile(path: string, format = 'auto'): Promise<SampleReader> {
  return format === 'auto' ? detectFormat(path) : readerFor(format);
}
