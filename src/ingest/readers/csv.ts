// CSV sequence data sets, one sample per row (the layout of MalbehavD-V1):
//
//   sha256,labels,0,1,2,...        header row (required)
//   <id>,<label>,<api>,<api>,...   one process (pid 0) whose calls carry only `api`
//
// The first column is the sample id; the second is the label when its header is `label` or
// `labels` (otherwise there is no label column and API names start at the second column).
// Empty cells are ignored. Fields may be quoted (RFC 4180: `"a,b"`, `""` for a quote, line breaks
// inside quotes). The origin of row N (0-based data row) is `sha256:<hash of the file>#row<N>`.
import type { Trace } from '../../core/trace.js';
import { bareCall } from '../bare-call.js';
import { DEFAULT_MAX_LINE_BYTES, openInput, sha256File, splitLines } from '../input-file.js';
import type { ReadOptions, SampleReader } from '../reader.js';

/**
 * Splits one CSV record into fields; returns null when a quoted field is still open at the end
 * of the text (the record continues on the next line).
 */
export function parseCsvRecord(text: string): string[] | null {
  const fields: string[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (i < n && text.charCodeAt(i) === 0x22 /* " */) {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return null;
        value += text.slice(i, q);
        if (text.charCodeAt(q + 1) === 0x22) {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      // Anything between the closing quote and the next comma is kept as written.
      const comma = text.indexOf(',', i);
      value += text.slice(i, comma < 0 ? n : comma);
      fields.push(value);
      if (comma < 0) return fields;
      i = comma + 1;
    } else {
      const comma = text.indexOf(',', i);
      fields.push(text.slice(i, comma < 0 ? n : comma));
      if (comma < 0) return fields;
      i = comma + 1;
    }
  }
}

const LABEL_HEADER = /^labels?$/i;

async function* readCsv(path: string, options: ReadOptions, maxLineBytes: number): AsyncGenerator<Trace> {
  const fileHash = await sha256File(path);
  const stream = await openInput(path, options.onProgress);
  let header: string[] | null = null;
  let hasLabel = false;
  let row = -1;
  let pending = '';
  let pendingStart = 0;
  for await (const line of splitLines(stream, maxLineBytes)) {
    if (line.tooLong) {
      if (header) row++;
      pending = '';
      options.onIssue?.({
        where: `${path}:${line.lineNo}`,
        reason: `line longer than ${maxLineBytes} bytes`,
      });
      continue;
    }
    const text = pending ? `${pending}\n${line.text}` : line.text;
    const startLine = pending ? pendingStart : line.lineNo;
    const fields = parseCsvRecord(text);
    if (fields === null) {
      if (text.length > maxLineBytes) {
        pending = '';
        if (header) row++;
        options.onIssue?.({ where: `${path}:${startLine}`, reason: 'unterminated quoted field' });
      } else {
        pending = text;
        pendingStart = startLine;
      }
      continue;
    }
    pending = '';
    if (header === null) {
      if (text.trim() === '') continue;
      header = fields;
      hasLabel = fields.length > 1 && LABEL_HEADER.test(fields[1].trim());
      continue;
    }
    if (text.trim() === '') continue;
    row++;
    const id = fields[0].trim();
    if (id === '') {
      options.onIssue?.({ where: `${path}:${startLine}`, reason: 'empty sample id in the first column' });
      continue;
    }
    const label = hasLabel ? fields[1].trim() : '';
    const calls = [];
    for (let f = hasLabel ? 2 : 1; f < fields.length; f++) {
      const api = fields[f].trim();
      if (api !== '') calls.push(bareCall(api));
    }
    const trace: Trace = {
      id,
      format: 'csv',
      origin: `sha256:${fileHash}#row${row}`,
      processes: [{ pid: 0, calls }],
    };
    if (label !== '') trace.label = label;
    yield trace;
  }
  if (pending)
    options.onIssue?.({
      where: `${path}:${pendingStart}`,
      reason: 'unterminated quoted field at end of file',
    });
}

/** A CSV reader with its own line bound (the default one uses 64 MiB). */
export function makeCsvReader(maxLineBytes = DEFAULT_MAX_LINE_BYTES): SampleReader {
  return {
    format: 'csv',
    sniff(head: Buffer, path: string): number {
      const text = head.toString('utf8');
      const nl = text.indexOf('\n');
      const first = (nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, '');
      if (first.startsWith('{') || first.startsWith('[') || !first.includes(',')) return 0;
      const cells = first.split(',');
      if (cells.length > 1 && LABEL_HEADER.test(cells[1].trim())) return 0.95;
      return /\.csv(\.gz)?$/i.test(path) ? 0.6 : 0.3;
    },
    read(path: string, options: ReadOptions): AsyncIterable<Trace> {
      return readCsv(path, options, maxLineBytes);
    },
  };
}

export const csvReader: SampleReader = makeCsvReader();
