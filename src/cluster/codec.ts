// What travels through Redis:
// - a trace (the stream entry of a sample), in MessagePack (@msgpack/msgpack): the Trace with
//   argument Maps as [name, value] pairs, rebuilt field by field on decode (the bytes may come
//   from anyone who can write the stream);
// - a model diff (and the contribution / mixed diff around it), framed (see `frame`): a small
//   MessagePack header (versions, label names, count maps as [key, value] pairs, sizes), then
//   columns, so a diff of a million cells is a few typed arrays, not a million small objects:
//   per cell the three deltas (Float64Array), a feature index and a label index (Uint32Array);
//   the feature names as one UTF-8 text with a Uint32Array of their lengths (one encode/decode
//   for all of them instead of one MessagePack string per name).
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

// Framing of the large messages (diffs, contributions, mixed diffs): a 4-byte magic, the u32
// length of a small MessagePack header, the header, then binary parts each starting at a
// multiple of 8 bytes, so typed arrays are views into one aligned buffer: no MessagePack
// encoder buffer growth and copies for hundreds of MB, and one copy at most on decode.
function frame(magic: string, header: unknown, parts: Uint8Array[]): Uint8Array {
  const head = encode(header, options);
  let size = pad8(8 + head.byteLength);
  for (const p of parts) size += pad8(p.byteLength);
  const out = new Uint8Array(size);
  out.set(Buffer.from(magic, 'latin1'), 0);
  new DataView(out.buffer).setUint32(4, head.byteLength, true);
  out.set(head, 8);
  let at = pad8(8 + head.byteLength);
  for (const p of parts) {
    out.set(p, at);
    at += pad8(p.byteLength);
  }
  return out;
}

function pad8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function unframe(
  bytes: Uint8Array,
  magic: string,
  partLengths: (header: Loose, rest: number) => number[],
): { header: Loose; parts: Uint8Array[] } {
  if (bytes.byteLength < 8 || Buffer.from(bytes.subarray(0, 4)).toString('latin1') !== magic)
    throw new Error(`not a ${magic} message`);
  // Typed-array views need an 8-byte aligned start: copy once when the bytes are not.
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes);
  const headLength = new DataView(aligned.buffer, aligned.byteOffset).getUint32(4, true);
  if (8 + headLength > aligned.byteLength) throw new Error(`${magic}: truncated header`);
  const header = decode(aligned.subarray(8, 8 + headLength)) as Loose;
  if (typeof header !== 'object' || header === null) throw new Error(`${magic}: header is not a map`);
  let at = pad8(8 + headLength);
  const parts = partLengths(header, Math.max(0, aligned.byteLength - at)).map((n) => {
    if (!Number.isInteger(n) || n < 0 || at + n > aligned.byteLength) throw new Error(`${magic}: truncated`);
    const part = aligned.subarray(at, at + n);
    at += pad8(n);
    return part;
  });
  return { header, parts };
}

const asBytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export function encodeDiff(d: ModelDiff): Uint8Array {
  const labelIndex = new Map<string, number>();
  const features: string[] = [];
  let cells = 0;
  for (const [f, row] of d.weights) {
    features.push(f);
    cells += row.size;
    for (const l of row.keys()) if (!labelIndex.has(l)) labelIndex.set(l, labelIndex.size);
  }
  const d1 = new Float64Array(cells);
  const d2 = new Float64Array(cells);
  const d3 = new Float64Array(cells);
  const featureOf = new Uint32Array(cells);
  const labelOf = new Uint32Array(cells);
  const nameLengths = new Uint32Array(features.length);
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
    nameLengths[fi] = features[fi].length;
    fi++;
  }
  const names = Buffer.from(features.join(''), 'utf8');
  const header = {
    v: d.baseVersion,
    u: d.updates,
    labels: [...labelIndex.keys()],
    cells,
    features: features.length,
    nameBytes: names.byteLength,
    labelCounts: pairs(d.labelCounts),
    documentCount: d.documentCount,
    df: pairs(d.documentFrequencies),
    gf: pairs(d.groupFrequencies),
    gl: pairs(d.groupTotalLengths),
  };
  return frame('MGD1', header, [d1, d2, d3, featureOf, labelOf, nameLengths, names].map(asBytes));
}

export function decodeDiff(bytes: Uint8Array): ModelDiff {
  const { header: raw, parts } = unframe(bytes, 'MGD1', (h) => {
    const n = Number(h.cells);
    const f = Number(h.features);
    return [8 * n, 8 * n, 8 * n, 4 * n, 4 * n, 4 * f, Number(h.nameBytes)];
  });
  const labels = raw.labels;
  if (!Array.isArray(labels)) throw new Error('diff: no label list');
  const f64 = (p: Uint8Array) => new Float64Array(p.buffer, p.byteOffset, p.byteLength / 8);
  const u32 = (p: Uint8Array) => new Uint32Array(p.buffer, p.byteOffset, p.byteLength / 4);
  const [d1, d2, d3] = parts.slice(0, 3).map(f64);
  const [featureOf, labelOf, nameLengths] = parts.slice(3, 6).map(u32);
  const text = parts[6];
  const all = Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8');
  const features = new Array<string>(nameLengths.length);
  let at = 0;
  for (let k = 0; k < nameLengths.length; k++) {
    features[k] = all.slice(at, at + nameLengths[k]);
    at += nameLengths[k];
  }
  // A lone surrogate does not survive UTF-8: the lengths would no longer add up.
  if (at !== all.length) throw new Error('diff: feature names do not match their lengths');
  const weights = new Map<string, Map<string, [number, number, number]>>();
  let row: Map<string, [number, number, number]> | undefined;
  let rowOf = -1;
  for (let i = 0; i < d1.length; i++) {
    const fi = featureOf[i];
    const l = labels[labelOf[i]];
    if (fi >= features.length || typeof l !== 'string') throw new Error('diff: cell index out of range');
    if (fi !== rowOf || !row) {
      const f = features[fi];
      row = weights.get(f);
      if (!row) {
        row = new Map();
        weights.set(f, row);
      }
      rowOf = fi;
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
  return frame('MGC1', { worker: c.worker, entries: c.entries, analyses: c.analyses }, [encodeDiff(c.diff)]);
}

export function decodeContribution(bytes: Uint8Array): Contribution {
  const { header: raw, parts } = unframe(bytes, 'MGC1', (_, rest) => [rest]);
  const strings = (v: unknown) =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  return {
    worker: str(raw.worker) ?? '?',
    diff: decodeDiff(parts[0]),
    entries: strings(raw.entries),
    analyses: strings(raw.analyses),
  };
}

/** A published mixed diff and the label registration order of the model it produces. */
export function encodeMixed(diff: ModelDiff, labels: string[]): Uint8Array {
  return frame('MGM1', { labels }, [encodeDiff(diff)]);
}

export function decodeMixed(bytes: Uint8Array): { diff: ModelDiff; labels: string[] } {
  const { header: raw, parts } = unframe(bytes, 'MGM1', (_, rest) => [rest]);
  const labels = Array.isArray(raw.labels)
    ? raw.labels.filter((x): x is string => typeof x === 'string')
    : [];
  return { diff: decodeDiff(parts[0]), labels };
}
