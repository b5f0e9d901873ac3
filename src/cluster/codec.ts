// What travels through Redis, in MessagePack (@msgpack/msgpack):
// - a trace (the stream entry of a sample): the Trace with argument Maps as [name, value] pairs,
//   rebuilt field by field on decode (the bytes may come from anyone who can write the stream);
// - a model diff: columnar, so a diff of a million cells is a few typed arrays, not a million
//   small objects: the label and feature names once, then per cell a feature index, a label
//   index and the three deltas (Float64Array), plus the count maps as [key, value] pairs.
import { decode, encode } from '@msgpack/msgpack';
import type { ArgValue, Call, ProcessTrace, Trace } from '../core/trace.js';
import type { ModelDiff } from '../learn/model-api.js';

/** Largest encoded trace accepted from the stream (bytes). */
export const MAX_TRACE_BYTES = 256 * 1024 * 1024;

const options = { ignoreUndefined: true } as const;

function encodeCall(c: Call): unknown {
  return {
    api: c.api,
    category: c.category,
    args: c.args ? [...c.args] : undefined,
    ret: c.ret,
    status: c.status,
    ts: c.ts,
    tid: c.tid,
    repeated: c.repeated,
  };
}

export function encodeTrace(t: Trace): Uint8Array {
  return encode(
    {
      id: t.id,
      label: t.label,
      time: t.time,
      source: t.source,
      format: t.format,
      origin: t.origin,
      processes: t.processes.map((p) => ({
        pid: p.pid,
        ppid: p.ppid,
        name: p.name,
        path: p.path,
        commandLine: p.commandLine,
        firstSeen: p.firstSeen,
        calls: p.calls.map(encodeCall),
      })),
      evidence: t.evidence,
    },
    options,
  );
}

type Loose = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function decodeArgs(v: unknown): Map<string, ArgValue> | undefined {
  if (!Array.isArray(v)) return undefined;
  const args = new Map<string, ArgValue>();
  for (const pair of v) {
    if (!Array.isArray(pair) || typeof pair[0] !== 'string') continue;
    const value = pair[1];
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
      if (!args.has(pair[0])) args.set(pair[0], value as ArgValue);
    }
  }
  return args;
}

function decodeCall(v: unknown): Call | null {
  if (typeof v !== 'object' || v === null) return null;
  const c = v as Loose;
  const api = str(c.api);
  if (api === undefined) return null;
  const call: Call = { api };
  const category = str(c.category);
  if (category !== undefined) call.category = category;
  const args = decodeArgs(c.args);
  if (args) call.args = args;
  if (typeof c.ret === 'string' || typeof c.ret === 'number') call.ret = c.ret;
  if (typeof c.status === 'boolean') call.status = c.status;
  const ts = num(c.ts);
  if (ts !== undefined) call.ts = ts;
  const tid = str(c.tid);
  if (tid !== undefined) call.tid = tid;
  const repeated = num(c.repeated);
  if (repeated !== undefined && repeated > 0) call.repeated = repeated;
  return call;
}

function decodeProcess(v: unknown): ProcessTrace | null {
  if (typeof v !== 'object' || v === null) return null;
  const p = v as Loose;
  const pid = num(p.pid);
  if (pid === undefined || !Array.isArray(p.calls)) return null;
  const proc: ProcessTrace = { pid, calls: [] };
  const ppid = num(p.ppid);
  if (ppid !== undefined) proc.ppid = ppid;
  for (const key of ['name', 'path', 'commandLine'] as const) {
    const s = str(p[key]);
    if (s !== undefined) proc[key] = s;
  }
  const firstSeen = num(p.firstSeen);
  if (firstSeen !== undefined) proc.firstSeen = firstSeen;
  for (const c of p.calls) {
    const call = decodeCall(c);
    if (call) proc.calls.push(call);
  }
  return proc;
}

/** Decodes a stream entry's trace; throws an Error saying what is wrong. */
export function decodeTrace(bytes: Uint8Array): Trace {
  if (bytes.byteLength > MAX_TRACE_BYTES)
    throw new Error(`trace of ${bytes.byteLength} bytes exceeds the limit`);
  const raw = decode(bytes);
  if (typeof raw !== 'object' || raw === null) throw new Error('trace is not a map');
  const t = raw as Loose;
  const id = str(t.id);
  const format = str(t.format);
  if (id === undefined || id.length === 0) throw new Error('trace has no id');
  if (!Array.isArray(t.processes)) throw new Error('trace has no processes');
  const trace: Trace = { id, format: format ?? 'unknown', processes: [] };
  for (const key of ['label', 'time', 'source', 'origin'] as const) {
    const s = str(t[key]);
    if (s !== undefined) trace[key] = s;
  }
  for (const p of t.processes) {
    const proc = decodeProcess(p);
    if (proc) trace.processes.push(proc);
  }
  const vt = (t.evidence as Loose | undefined)?.virustotal as Loose | undefined;
  const positives = num(vt?.positives);
  const total = num(vt?.total);
  if (positives !== undefined && total !== undefined) trace.evidence = { virustotal: { positives, total } };
  return trace;
}

/** The analysis id training is made idempotent on: the origin when the reader gives one, else the id. */
export function analysisId(t: Trace): string {
  return t.origin ?? t.id;
}

function pairs(m: Map<string, number>): Array<[string, number]> {
  return [...m];
}

function unpairs(v: unknown): Map<string, number> {
  const m = new Map<string, number>();
  if (!Array.isArray(v)) return m;
  for (const p of v)
    if (Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'number') m.set(p[0], p[1]);
  return m;
}

export function encodeDiff(d: ModelDiff): Uint8Array {
  const labelIndex = new Map<string, number>();
  const features: string[] = [];
  let cells = 0;
  for (const [f, row] of d.weights) {
    features.push(f);
    cells += row.size;
    for (const l of row.keys()) if (!labelIndex.has(l)) labelIndex.set(l, labelIndex.size);
  }
  const featureOf = new Uint32Array(cells);
  const labelOf = new Uint32Array(cells);
  const d1 = new Float64Array(cells);
  const d2 = new Float64Array(cells);
  const d3 = new Float64Array(cells);
  let i = 0;
  let fi = 0;
  for (const row of d.weights.values()) {
    for (const [l, c] of row) {
      featureOf[i] = fi;
      labelOf[i] = labelIndex.get(l) as number;
      d1[i] = c[0];
      d2[i] = c[1];
      d3[i] = c[2];
      i++;
    }
    fi++;
  }
  return encode({
    v: d.baseVersion,
    u: d.updates,
    labels: [...labelIndex.keys()],
    features,
    featureOf: new Uint8Array(featureOf.buffer),
    labelOf: new Uint8Array(labelOf.buffer),
    d1: new Uint8Array(d1.buffer),
    d2: new Uint8Array(d2.buffer),
    d3: new Uint8Array(d3.buffer),
    labelCounts: pairs(d.labelCounts),
    documentCount: d.documentCount,
    df: pairs(d.documentFrequencies),
    gf: pairs(d.groupFrequencies),
    gl: pairs(d.groupTotalLengths),
  });
}

function typed<T>(v: unknown, make: (b: ArrayBuffer) => T, width: number, n: number, what: string): T {
  if (!(v instanceof Uint8Array) || v.byteLength !== n * width) throw new Error(`diff: bad ${what} column`);
  // Copy: the decoded bytes are a view into the message (or a Buffer's shared pool), maybe unaligned.
  const copy = new Uint8Array(v.byteLength);
  copy.set(v);
  return make(copy.buffer);
}

export function decodeDiff(bytes: Uint8Array): ModelDiff {
  const raw = decode(bytes) as Loose;
  if (typeof raw !== 'object' || raw === null) throw new Error('diff is not a map');
  const labels = raw.labels;
  const features = raw.features;
  if (!Array.isArray(labels) || !Array.isArray(features)) throw new Error('diff: no label or feature list');
  const n = raw.featureOf instanceof Uint8Array ? raw.featureOf.byteLength / 4 : -1;
  const featureOf = typed(raw.featureOf, (b) => new Uint32Array(b), 4, n, 'feature');
  const labelOf = typed(raw.labelOf, (b) => new Uint32Array(b), 4, n, 'label');
  const d1 = typed(raw.d1, (b) => new Float64Array(b), 8, n, 'd1');
  const d2 = typed(raw.d2, (b) => new Float64Array(b), 8, n, 'd2');
  const d3 = typed(raw.d3, (b) => new Float64Array(b), 8, n, 'd3');
  const weights = new Map<string, Map<string, [number, number, number]>>();
  for (let i = 0; i < n; i++) {
    const f = features[featureOf[i]];
    const l = labels[labelOf[i]];
    if (typeof f !== 'string' || typeof l !== 'string') throw new Error('diff: cell index out of range');
    let row = weights.get(f);
    if (!row) {
      row = new Map();
      weights.set(f, row);
    }
    row.set(l, [d1[i], d2[i], d3[i]]);
  }
  return {
    baseVersion: num(raw.v) ?? 0,
    updates: num(raw.u) ?? 0,
    weights,
    labelCounts: unpairs(raw.labelCounts),
    documentCount: num(raw.documentCount) ?? 0,
    documentFrequencies: unpairs(raw.df),
    groupFrequencies: unpairs(raw.gf),
    groupTotalLengths: unpairs(raw.gl),
  };
}

/** A worker's contribution to a mix round: its diff, and the stream entries and analyses it covers. */
export interface Contribution {
  worker: string;
  diff: ModelDiff;
  /** Reports-stream entry ids whose training the diff holds (acknowledged when it is mixed). */
  entries: string[];
  /** Analysis ids trained (added to the trained set when it is mixed). */
  analyses: string[];
}

export function encodeContribution(c: Contribution): Uint8Array {
  return encode({ worker: c.worker, diff: encodeDiff(c.diff), entries: c.entries, analyses: c.analyses });
}

export function decodeContribution(bytes: Uint8Array): Contribution {
  const raw = decode(bytes) as Loose;
  if (typeof raw !== 'object' || raw === null || !(raw.diff instanceof Uint8Array))
    throw new Error('contribution is not a map');
  const strings = (v: unknown) =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  return {
    worker: str(raw.worker) ?? '?',
    diff: decodeDiff(raw.diff),
    entries: strings(raw.entries),
    analyses: strings(raw.analyses),
  };
}

/** A published mixed diff and the label registration order of the model it produces. */
export function encodeMixed(diff: ModelDiff, labels: string[]): Uint8Array {
  return encode({ diff: encodeDiff(diff), labels });
}

export function decodeMixed(bytes: Uint8Array): { diff: ModelDiff; labels: string[] } {
  const raw = decode(bytes) as Loose;
  if (typeof raw !== 'object' || raw === null || !(raw.diff instanceof Uint8Array))
    throw new Error('mixed diff is not a map');
  const labels = Array.isArray(raw.labels)
    ? raw.labels.filter((x): x is string => typeof x === 'string')
    : [];
  return { diff: decodeDiff(raw.diff), labels };
}
