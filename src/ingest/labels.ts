// Where a sample's label comes from. In order of precedence:
//   1. `--label L`               every sample of the batch gets L;
//   2. `--labels FILE`           id -> label (CSV or TSV with two columns, optional header; or JSON:
//                                an object {"id": "label"} or a list of {"id", "label"});
//                                samples not in the file fall through to 3/4;
//   3. `--label-from virustotal:N`  the report's VirusTotal result: >= N engines -> `malware`,
//                                0 -> `goodware`, in between (or no result) -> unlabelled; the
//                                positives/total counts are stored so the threshold can change later;
//   4. the label the input itself carries (CSV second column, JSONL `label`).
// Ids and labels are untrusted strings: kept in Maps, never as object keys.
import { readFile } from 'node:fs/promises';
import { cannotRead, InputError } from '../core/errors.js';
import type { Trace } from '../core/trace.js';
import { parseCsvRecord } from './readers/csv.js';

export interface LabelPolicy {
  fixed?: string;
  byId?: Map<string, string>;
  /** Minimum number of VirusTotal engines for `malware`. */
  virustotalThreshold?: number;
}

/** Bound of a labels file (it is read whole). */
const MAX_LABELS_FILE_BYTES = 256 * 1024 * 1024;

/** Parses `virustotal:N` (N >= 1). */
export function parseLabelFrom(text: string): number {
  const m = /^virustotal:(\d+)$/.exec(text.trim());
  if (!m || Number(m[1]) < 1)
    throw new InputError(`expected virustotal:N with N >= 1, got "${text}"`, '--label-from');
  return Number(m[1]);
}

/** The label VirusTotal evidence gives under a threshold (undefined = unlabelled). */
export function virustotalLabel(positives: number, threshold: number): string | undefined {
  if (positives >= threshold) return 'malware';
  if (positives === 0) return 'goodware';
  return undefined;
}

/** Reads a labels file (CSV, TSV or JSON) into id -> label. */
export async function readLabelsFile(path: string): Promise<Map<string, string>> {
  let text: string;
  try {
    const buf = await readFile(path);
    if (buf.length > MAX_LABELS_FILE_BYTES)
      throw new InputError(`larger than ${MAX_LABELS_FILE_BYTES} bytes`, path);
    text = buf.toString('utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw cannotRead(err, path);
  }
  const labels = new Map<string, string>();
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new InputError(`invalid JSON: ${(err as Error).message}`, path);
    }
    const entries: Array<[unknown, unknown]> = Array.isArray(parsed)
      ? parsed.map((e) =>
          typeof e === 'object' && e !== null
            ? [(e as { id?: unknown }).id, (e as { label?: unknown }).label]
            : [e, null],
        )
      : Object.entries(parsed as Record<string, unknown>);
    entries.forEach(([id, label], i) => {
      if (typeof id !== 'string' || id === '' || (typeof label !== 'string' && typeof label !== 'number'))
        throw new InputError(`entry ${i}: needs a string id and a string label`, path);
      labels.set(id.trim(), String(label).trim());
    });
    return labels;
  }
  const lines = text.split(/\r?\n/);
  const tsv = (lines[0] ?? '').includes('\t');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const cells = tsv ? line.split('\t') : parseCsvRecord(line);
    if (!cells || cells.length < 2)
      throw new InputError(`expected "id${tsv ? '<TAB>' : ','}label"`, `${path}:${i + 1}`);
    const id = cells[0].trim();
    const label = cells[1].trim();
    if (i === 0 && /^(id|sha256|sample|sample_id)$/i.test(id) && /^labels?$/i.test(label)) return; // header
    if (id === '' || label === '') throw new InputError('empty id or label', `${path}:${i + 1}`);
    labels.set(id, label);
  });
  return labels;
}

/** Applies the policy to a trace (in place) and returns it. */
export function applyLabel(trace: Trace, policy: LabelPolicy): Trace {
  if (policy.fixed !== undefined) {
    trace.label = policy.fixed;
    return trace;
  }
  const fromFile = policy.byId?.get(trace.id);
  if (fromFile !== undefined) {
    trace.label = fromFile;
    return trace;
  }
  if (policy.virustotalThreshold !== undefined) {
    const vt = trace.evidence?.virustotal;
    const label = vt ? virustotalLabel(vt.positives, policy.virustotalThreshold) : undefined;
    if (label === undefined) delete trace.label;
    else trace.label = label;
  }
  return trace;
}
