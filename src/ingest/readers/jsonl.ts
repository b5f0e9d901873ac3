// JSONL canonical traces, one sample per line (design.md, "Input formats"):
//
//   {"id": "...", "label": "...", "time": "...", "source": "...", "calls": ["NtOpenKey", ...]}
//   {"id": "...", "processes": [{"pid": 1, "ppid": 0, "name": "a.exe",
//     "calls": [{"api": "NtOpenKey", "args": {...}, "ts": 0.013, "repeated": 2}]}]}
//
// `label`, `time`, `source` are optional; `virustotal: {"positives": N, "total": M}` is read as
// report evidence (for `--label-from virustotal:N`). `calls` as a list of names is one process
// (pid 0). With `--processes tree` the first listed process is the sample's own, and only it and
// its descendants (by ppid) are kept. Lines are bounded (64 MiB by default); a bad line is
// reported with its line number and skipped. Origin of a line: `sha256:<file hash>#line<N>`.
// Lines over 64 KiB of the plain `calls` form skip the decode of the whole line (jsonl-calls.ts).
import { ByteNameTable } from '../../core/byte-names.js';
import type { ArgValue, Call, ProcessTrace, Trace } from '../../core/trace.js';
import { bareCall } from '../bare-call.js';
import { processTree } from '../filters.js';
import { DEFAULT_MAX_LINE_BYTES, openInput, sha256File, splitLines } from '../input-file.js';
import type { ReadOptions, SampleReader } from '../reader.js';
import { openingObjectHasKey, splitCallsList } from './jsonl-calls.js';

/** A line that is valid JSON but not a trace. */
class TraceShapeError extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalString(obj: Record<string, unknown>, key: string): string | undefined {
  if (!Object.hasOwn(obj, key) || obj[key] === null || obj[key] === undefined) return undefined;
  const v = obj[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new TraceShapeError(`"${key}" must be a string`);
}

function optionalNumber(obj: Record<string, unknown>, key: string, where: string): number | undefined {
  if (!Object.hasOwn(obj, key) || obj[key] === null || obj[key] === undefined) return undefined;
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new TraceShapeError(`${where}"${key}" must be a number`);
  return v;
}

function toArgs(raw: unknown, where: string): Map<string, ArgValue> {
  if (!isObject(raw)) throw new TraceShapeError(`${where}"args" must be an object`);
  const args = new Map<string, ArgValue>();
  for (const [name, value] of Object.entries(raw)) {
    if (args.has(name)) continue;
    if (
      value === null ||
      typeof value === 'string' ||
      typeof value === 'number' ||
      typeof value === 'boolean'
    ) {
      args.set(name, value);
    } else {
      args.set(name, JSON.stringify(value));
    }
  }
  return args;
}

/** The call at `calls[i]` of `prefix` (a process's "processes[k]: ", or "" for the top list). */
function toCall(raw: unknown, prefix: string, i: number, detail: ReadOptions['detail']): Call {
  if (typeof raw === 'string') {
    // the error's location is spelled out only when there is an error (not once per call)
    if (raw === '') throw new TraceShapeError(`${prefix}calls[${i}]: empty API name`);
    return bareCall(raw);
  }
  const where = `${prefix}calls[${i}]: `;
  if (!isObject(raw)) throw new TraceShapeError(`${where}a call must be an API name or an object`);
  const api = raw.api;
  if (typeof api !== 'string' || api === '')
    throw new TraceShapeError(`${where}"api" must be a non-empty string`);
  const call: Call = { api };
  const category = optionalString(raw, 'category');
  if (category !== undefined) call.category = category;
  const ts = optionalNumber(raw, 'ts', where);
  if (ts !== undefined) call.ts = ts;
  const repeated = optionalNumber(raw, 'repeated', where);
  if (repeated !== undefined) {
    if (!Number.isInteger(repeated) || repeated < 0)
      throw new TraceShapeError(`${where}"repeated" must be >= 0`);
    if (repeated > 0) call.repeated = repeated;
  }
  if (detail === 'full') {
    if (Object.hasOwn(raw, 'args') && raw.args !== null) call.args = toArgs(raw.args, where);
    if (Object.hasOwn(raw, 'ret') && raw.ret !== null) {
      if (typeof raw.ret !== 'string' && typeof raw.ret !== 'number')
        throw new TraceShapeError(`${where}"ret" must be a string or number`);
      call.ret = raw.ret;
    }
    if (Object.hasOwn(raw, 'status') && raw.status !== null) {
      if (typeof raw.status !== 'boolean') throw new TraceShapeError(`${where}"status" must be a boolean`);
      call.status = raw.status;
    }
    const tid = optionalString(raw, 'tid');
    if (tid !== undefined) call.tid = tid;
  }
  return call;
}

function toProcess(raw: unknown, index: number, detail: ReadOptions['detail']): ProcessTrace {
  const where = `processes[${index}]: `;
  if (!isObject(raw)) throw new TraceShapeError(`${where}must be an object`);
  const pid = optionalNumber(raw, 'pid', where) ?? index;
  if (!Array.isArray(raw.calls)) throw new TraceShapeError(`${where}"calls" must be a list`);
  const proc: ProcessTrace = {
    pid,
    calls: raw.calls.map((c, i) => toCall(c, where, i, detail)),
  };
  const ppid = optionalNumber(raw, 'ppid', where);
  if (ppid !== undefined) proc.ppid = ppid;
  const name = optionalString(raw, 'name');
  if (name !== undefined) proc.name = name;
  const path = optionalString(raw, 'path');
  if (path !== undefined) proc.path = path;
  const commandLine = optionalString(raw, 'command_line') ?? optionalString(raw, 'commandLine');
  if (commandLine !== undefined) proc.commandLine = commandLine;
  const firstSeen = optionalNumber(raw, 'first_seen', where) ?? optionalNumber(raw, 'firstSeen', where);
  if (firstSeen !== undefined) proc.firstSeen = firstSeen;
  return proc;
}

/** Turns one parsed canonical trace object into a Trace (throws TraceShapeError when malformed). */
export function traceFromJson(obj: unknown, options: Pick<ReadOptions, 'detail' | 'processes'>): Trace {
  if (!isObject(obj)) throw new TraceShapeError('a line must be a JSON object');
  const id = optionalString(obj, 'id') ?? optionalString(obj, 'sha256');
  if (id === undefined || id === '') throw new TraceShapeError('missing "id"');
  let processes: ProcessTrace[];
  if (Array.isArray(obj.processes)) {
    processes = obj.processes.map((p, i) => toProcess(p, i, options.detail));
    if (options.processes === 'tree') processes = processTree(processes);
  } else if (Array.isArray(obj.calls)) {
    processes = [{ pid: 0, calls: obj.calls.map((c, i) => toCall(c, '', i, options.detail)) }];
  } else {
    throw new TraceShapeError('needs "calls" (a list) or "processes" (a list)');
  }
  const trace: Trace = { id, format: 'jsonl', processes };
  const label = optionalString(obj, 'label');
  if (label !== undefined && label !== '') trace.label = label;
  const time = optionalString(obj, 'time');
  if (time !== undefined) trace.time = time;
  const source = optionalString(obj, 'source');
  if (source !== undefined) trace.source = source;
  if (Object.hasOwn(obj, 'virustotal') && obj.virustotal !== null) {
    const vt = obj.virustotal;
    if (!isObject(vt)) throw new TraceShapeError('"virustotal" must be an object');
    const positives = optionalNumber(vt, 'positives', 'virustotal: ');
    const total = optionalNumber(vt, 'total', 'virustotal: ');
    if (positives === undefined || total === undefined)
      throw new TraceShapeError('"virustotal" needs "positives" and "total"');
    trace.evidence = { virustotal: { positives, total } };
  }
  return trace;
}

/** Lines longer than this try the calls-list fast path (jsonl-calls.ts) before decode + JSON.parse. */
const LONG_LINE_BYTES = 64 * 1024;
/** Slots of the table of API names the fast path shares between the lines of one file. */
const NAME_SLOTS = 1 << 14;

/** A long line parsed through the calls-list fast path; undefined when it does not apply. */
function parseLongLine(bytes: Buffer, names: ByteNameTable): unknown {
  const split = splitCallsList(bytes, names);
  if (!split) return undefined;
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(split.rest);
  } catch {
    return undefined; // the generic path reports the error on the whole line
  }
  obj.calls = split.names;
  return obj;
}

async function* readJsonl(path: string, options: ReadOptions, maxLineBytes: number): AsyncGenerator<Trace> {
  const fileHash = await sha256File(path);
  const stream = await openInput(path, options.onProgress);
  const names = new ByteNameTable(NAME_SLOTS);
  for await (const line of splitLines(stream, maxLineBytes, LONG_LINE_BYTES)) {
    const where = `${path}:${line.lineNo}`;
    if (line.tooLong) {
      options.onIssue?.({ where, reason: `line longer than ${maxLineBytes} bytes` });
      continue;
    }
    let parsed = line.bytes ? parseLongLine(line.bytes, names) : undefined;
    if (parsed === undefined) {
      const text = line.bytes ? line.bytes.toString('utf8') : line.text;
      if (text.trim() === '') continue;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        options.onIssue?.({ where, reason: `invalid JSON: ${(err as Error).message}` });
        continue;
      }
    }
    try {
      const trace = traceFromJson(parsed, options);
      trace.origin = `sha256:${fileHash}#line${line.lineNo}`;
      yield trace;
    } catch (err) {
      if (!(err instanceof TraceShapeError)) throw err;
      options.onIssue?.({ where, reason: err.message });
    }
  }
}

const TRACE_KEYS: ReadonlySet<string> = new Set(['calls', 'processes']);

/** A JSONL reader with its own line bound (the default one uses 64 MiB). */
export function makeJsonlReader(maxLineBytes = DEFAULT_MAX_LINE_BYTES): SampleReader {
  return {
    format: 'jsonl',
    sniff(head: Buffer): number {
      const text = head.toString('utf8').trimStart();
      if (!text.startsWith('{')) return 0;
      const nl = text.indexOf('\n');
      const first = nl < 0 ? text : text.slice(0, nl);
      // A first-line object whose own keys hold "calls" or "processes" is certainly a trace line,
      // even when the line goes on past the head.
      const open = head.indexOf('{'); // the first non-space character, as `text` says
      const lineEnd = head.indexOf('\n', open);
      if (openingObjectHasKey(head.subarray(open, lineEnd < 0 ? head.length : lineEnd), TRACE_KEYS))
        return 0.95;
      return nl > 0 && first.trimEnd().endsWith('}') ? 0.5 : 0.1;
    },
    read(path: string, options: ReadOptions): AsyncIterable<Trace> {
      return readJsonl(path, options, maxLineBytes);
    },
  };
}

export const jsonlReader: SampleReader = makeJsonlReader();
