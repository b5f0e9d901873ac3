// What the Cuckoo and CAPE readers share: streaming one sandbox `report.json` (plain or gzip) through
// the byte-level tokenizer, keeping only the parts a Trace needs, and mapping the field layouts of
// every version onto the Trace (field rules: docs/sandbox-report-formats.md §3–§7).
//
// Layouts read (detected per field, so a mislabelled report still reads):
//   pre-1.0 (0.4/0.5)  top-level `file`; pids as strings; call status "SUCCESS"/"FAILURE"
//   1.x (0.6–1.2)      arguments [{name, value}], `timestamp` "YYYY-MM-DD HH:MM:SS,mmm", `thread_id`
//                      string, `return` string, `repeated`
//   2.0.x              arguments {name: value}, `time` float seconds, `tid` int, `return_value` int,
//                      `status` int, `pid`/`ppid`, `process_path`, `command_line`, `track`
//   CAPEv2 / cuckoo-modified 1.3-NG   as 1.x plus `module_path`, `environ.CommandLine`
//
// Choices (documented contract of both readers):
// - id: `target.file.sha256` (pre-1.0: `file.sha256`); URL tasks: SHA-256 of the URL text
//   (`target.url`, UTF-8); neither: the report's own content hash (the origin digest).
// - origin: `sha256:` + SHA-256 of the file's bytes as stored (the compressed bytes of a .gz), so
//   the same analysis file is recognised however often it is ingested.
// - time: `info.started` as ISO-8601. 1.x/CAPE give a naive host-local "YYYY-MM-DD HH:MM:SS", which
//   is written with `Z` as is (no timezone is known); 2.0 gives float seconds.
// - call and process times (`ts`, `firstSeen`): 1.x/CAPE strings are parsed as naive datetimes with
//   Date.UTC (only differences are meaningful, §7); 2.0 floats are taken as they are.
// - format: `cape` when `info.version` ends with `-CAPE` or is 1.3-NG/1.3-Optiv, or processes carry
//   `environ` + `module_path` (cuckoo-modified lineage); otherwise `cuckoo`.
// - skipped call records: anomaly pseudo-calls (category `anomaly` or empty api) and records whose
//   api is not a string. A report without any remaining call is refused ("no API calls").
// - process scope `tree`: seeds are the processes whose name, image-path base name or command line
//   names the submitted file (`target.file.name`); when none does, the first monitored process (the
//   list is sorted by first_seen, and the analysis package starts the sample first). The tree is the
//   seeds plus their descendants by parent pid — the same links `behavior.processtree` is built
//   from. Cuckoo 2.0 processes with `track: false` (observed only) are left out and not descended
//   through. `all`: every monitored process, injected system processes included.
// - detail `api`: calls keep only api, category, ts and repeated; the other call fields are skipped
//   unread by the tokenizer.
// - arguments: first value wins for a duplicated name; 2.0 list/object values become JSON text.
// - a .gz file is recognised by its magic bytes; JSON byte offsets in errors count decompressed bytes.
// - refused (InputError naming the file): invalid or truncated JSON (with the byte offset), a
//   document that is not an object (a top-level array such as Cuckoo's signatures-only extract is
//   "not a sandbox report"), no `behavior`, no usable call, processes without process_id/pid.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline, type Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError } from '../../core/errors.js';
import type { ArgValue, Call, ProcessTrace, Trace } from '../../core/trace.js';
import { ALL, type JsonMap, type JsonValue, type Select, SelectiveBuilder, select } from '../json/select.js';
import { JsonSyntaxError } from '../json/tokenizer.js';
import type { ReadOptions } from '../reader.js';

export type ReportFamily = 'cuckoo' | 'cape';

/** Distinct api/category names kept as one shared string each (bounded). */
const MAX_INTERNED = 100_000;
/** Longest string kept from a report (argument values included); longer ones are truncated. */
const MAX_STRING = 1 << 20;

/** Reads one report into a Trace; throws InputError naming the file on anything fatal. */
export async function readReport(path: string, options: ReadOptions): Promise<Trace> {
  const reader = new ReportAssembler(options.detail);
  const hash = createHash('sha256');
  const input = await openReport(path, hash, options.onProgress);
  try {
    for await (const chunk of input) reader.builder.write(chunk as Buffer);
    reader.builder.end();
  } catch (err) {
    input.destroy();
    if (err instanceof JsonSyntaxError)
      throw new InputError(`invalid JSON: ${err.message}`, `${path}@${err.offset}`);
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR') {
      throw new InputError(`corrupt or truncated gzip data (${(err as Error).message})`, path);
    }
    if (code !== undefined) throw new InputError(`cannot read: ${code}`, path);
    throw err;
  }
  return reader.finish(path, `sha256:${hash.digest('hex')}`, options.processes);
}

async function openReport(
  path: string,
  hash: ReturnType<typeof createHash>,
  onProgress?: (bytes: number) => void,
): Promise<Readable> {
  let gz = false;
  try {
    const fd = await open(path, 'r');
    try {
      const magic = Buffer.alloc(2);
      const { bytesRead } = await fd.read(magic, 0, 2, 0);
      gz = bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
    } finally {
      await fd.close();
    }
  } catch (err) {
    throw new InputError(
      `cannot open: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      path,
    );
  }
  // file → tap (hash of the stored bytes, progress) → gunzip when compressed; errors end the chain.
  let read = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      read += chunk.length;
      onProgress?.(read);
      done(null, chunk);
    },
  });
  const stages: NodeJS.ReadWriteStream[] = gz ? [tap, createGunzip({ chunkSize: 1 << 20 })] : [tap];
  const last = stages[stages.length - 1] as unknown as Readable;
  pipeline([createReadStream(path, { highWaterMark: 1 << 20 }), ...stages], () => {
    // errors reach the reader through `last`, which the pipeline destroys with them
  });
  return last;
}

/** Collects the selected parts of one report as they stream and builds the Trace at the end. */
class ReportAssembler {
  readonly builder: SelectiveBuilder;
  /** Per finished process: its selected fields and its calls (converted as they streamed). */
  private readonly processMaps: JsonMap[] = [];
  private readonly processCalls: Call[][] = [];
  private currentCalls: Call[] = [];
  private readonly interned = new Map<string, string>();
  private callRecords = 0;
  private sawProcesses = false;

  constructor(private readonly detail: 'full' | 'api') {
    const fullCall: Record<string, Select> =
      detail === 'full'
        ? {
            arguments: { items: select({ name: ALL, value: ALL }), otherFields: ALL },
            return: ALL,
            return_value: ALL,
            status: ALL,
            thread_id: ALL,
            tid: ALL,
          }
        : {};
    const call = select({ api: ALL, category: ALL, timestamp: ALL, time: ALL, repeated: ALL, ...fullCall });
    const process = select(
      {
        process_id: ALL,
        pid: ALL,
        parent_id: ALL,
        ppid: ALL,
        process_name: ALL,
        module_path: ALL,
        process_path: ALL,
        command_line: ALL,
        environ: select({ CommandLine: ALL }),
        first_seen: ALL,
        track: ALL,
        calls: { items: call, onItem: (c) => this.addCall(c) },
      },
      { onStart: () => this.startProcess() },
    );
    const fileFields = select({ name: ALL, sha256: ALL });
    const root = select({
      info: select({ version: ALL, started: ALL, id: ALL }),
      target: select({ category: ALL, url: ALL, file: fileFields }),
      file: fileFields,
      virustotal: select({ positives: ALL, total: ALL }),
      behavior: select({
        processes: {
          items: process,
          onItem: (p) => this.endProcess(p),
          onStart: () => {
            this.sawProcesses = true;
          },
        },
      }),
    });
    this.builder = new SelectiveBuilder(root, { maxString: MAX_STRING });
  }

  private intern(s: string): string {
    const known = this.interned.get(s);
    if (known !== undefined) return known;
    if (this.interned.size < MAX_INTERNED) this.interned.set(s, s);
    return s;
  }

  private startProcess(): void {
    this.currentCalls = [];
  }

  private endProcess(p: JsonValue): void {
    if (p instanceof Map) {
      this.processMaps.push(p);
      this.processCalls.push(this.currentCalls);
    }
    this.currentCalls = [];
  }

  private addCall(v: JsonValue): void {
    this.callRecords++;
    if (!(v instanceof Map)) return;
    const api = v.get('api');
    const category = v.get('category');
    if (typeof api !== 'string' || api === '' || category === 'anomaly') return;
    const ts = callTime(v);
    // The usual shape in one literal: its fields then live inside the object (memory per call).
    let call: Call;
    if (typeof category === 'string' && ts !== undefined) {
      call = { api: this.intern(api), category: this.intern(category), ts };
    } else {
      call = { api: this.intern(api) };
      if (typeof category === 'string') call.category = this.intern(category);
      if (ts !== undefined) call.ts = ts;
    }
    const repeated = v.get('repeated');
    if (typeof repeated === 'number' && repeated > 0) call.repeated = repeated;
    if (this.detail === 'full') {
      const args = callArgs(v.get('arguments'));
      if (args !== undefined) call.args = args;
      const ret = v.get('return') ?? v.get('return_value');
      if (typeof ret === 'string' || typeof ret === 'number') call.ret = ret;
      const status = callStatus(v.get('status'));
      if (status !== undefined) call.status = status;
      const tid = v.get('thread_id') ?? v.get('tid');
      if (typeof tid === 'string' || typeof tid === 'number') call.tid = String(tid);
    }
    this.currentCalls.push(call);
  }

  finish(path: string, origin: string, scope: 'tree' | 'all'): Trace {
    const root = this.builder.root;
    if (this.builder.rootKind === 'array') {
      throw new InputError(
        'not a sandbox report: the document is a JSON array (a signatures extract?)',
        path,
      );
    }
    if (!(root instanceof Map))
      throw new InputError('not a sandbox report: the document is not a JSON object', path);
    const behavior = root.get('behavior');
    if (!(behavior instanceof Map)) throw new InputError('no behavior section', path);
    if (!this.sawProcesses) throw new InputError('no API calls (behavior has no processes list)', path);

    const procs: ProcessTrace[] = [];
    const tracked: boolean[] = [];
    let layoutKnown = this.processMaps.length === 0;
    let capeLineage = false;
    for (let i = 0; i < this.processMaps.length; i++) {
      const m = this.processMaps[i];
      const pid = toInt(m.get('process_id') ?? m.get('pid'));
      if (pid === undefined) continue;
      layoutKnown = true;
      const environ = m.get('environ');
      if (environ instanceof Map && m.has('module_path')) capeLineage = true;
      const p: ProcessTrace = { pid, calls: this.processCalls[i] };
      const ppid = toInt(m.get('parent_id') ?? m.get('ppid'));
      if (ppid !== undefined) p.ppid = ppid;
      const name = m.get('process_name');
      if (typeof name === 'string') p.name = name;
      const imagePath = m.get('module_path') ?? m.get('process_path');
      if (typeof imagePath === 'string') p.path = imagePath;
      const cmd = environ instanceof Map ? environ.get('CommandLine') : m.get('command_line');
      if (typeof cmd === 'string') p.commandLine = cmd;
      const firstSeen = timeValue(m.get('first_seen'));
      if (firstSeen !== undefined) p.firstSeen = firstSeen;
      procs.push(p);
      tracked.push(m.get('track') !== false);
    }
    if (!layoutKnown)
      throw new InputError('unknown layout: processes carry neither process_id nor pid', path);
    if (!procs.some((p) => p.calls.length > 0)) {
      throw new InputError(`no API calls (${this.callRecords} call records, none usable)`, path);
    }

    const info = mapOf(root.get('info'));
    const target = mapOf(root.get('target'));
    const file = mapOf(target?.get('file')) ?? mapOf(root.get('file'));
    const version = info?.get('version');
    const versionText = typeof version === 'string' ? version : '';
    const cape = /-CAPE$/i.test(versionText) || /^1\.3-(NG|Optiv)/i.test(versionText) || capeLineage;

    const trace: Trace = {
      id: sampleId(file, target, origin),
      format: cape ? 'cape' : 'cuckoo',
      origin,
      processes: scope === 'all' ? procs : sampleTree(procs, tracked, file?.get('name')),
    };
    const time = isoTime(info?.get('started'));
    if (time !== undefined) trace.time = time;
    const vt = mapOf(root.get('virustotal'));
    const positives = vt?.get('positives');
    const total = vt?.get('total');
    if (typeof positives === 'number' && typeof total === 'number') {
      trace.evidence = { virustotal: { positives, total } };
    }
    return trace;
  }
}

function mapOf(v: JsonValue | undefined): JsonMap | undefined {
  return v instanceof Map ? v : undefined;
}

function sampleId(file: JsonMap | undefined, target: JsonMap | undefined, origin: string): string {
  const sha = file?.get('sha256');
  if (typeof sha === 'string' && /^[0-9a-f]{64}$/i.test(sha)) return sha.toLowerCase();
  const url = target?.get('url');
  if (typeof url === 'string' && url !== '') return createHash('sha256').update(url, 'utf8').digest('hex');
  return origin.slice('sha256:'.length);
}

/** The sample's processes: seeds naming the submitted file (or the first process) plus descendants. */
function sampleTree(
  procs: ProcessTrace[],
  tracked: boolean[],
  fileName: JsonValue | undefined,
): ProcessTrace[] {
  const wanted = typeof fileName === 'string' ? fileName.toLowerCase() : '';
  const names = (p: ProcessTrace): boolean => {
    if (wanted === '') return false;
    if (p.name?.toLowerCase() === wanted) return true;
    if (p.path && baseName(p.path).toLowerCase() === wanted) return true;
    return p.commandLine !== undefined && wanted.length >= 3 && p.commandLine.toLowerCase().includes(wanted);
  };
  const inTree = new Array<boolean>(procs.length).fill(false);
  const queue: number[] = [];
  procs.forEach((p, i) => {
    if (tracked[i] && names(p)) queue.push(i);
  });
  if (queue.length === 0) {
    const first = tracked.indexOf(true);
    if (first >= 0) queue.push(first);
  }
  const childrenOf = new Map<number, number[]>();
  procs.forEach((p, i) => {
    if (p.ppid === undefined || !tracked[i]) return;
    const list = childrenOf.get(p.ppid);
    if (list) list.push(i);
    else childrenOf.set(p.ppid, [i]);
  });
  while (queue.length > 0) {
    const i = queue.pop()!;
    if (inTree[i]) continue;
    inTree[i] = true;
    for (const child of childrenOf.get(procs[i].pid) ?? []) {
      if (!inTree[child]) queue.push(child);
    }
  }
  return procs.filter((_, i) => inTree[i]);
}

function baseName(p: string): string {
  const cut = Math.max(p.lastIndexOf('\\'), p.lastIndexOf('/'));
  return cut >= 0 ? p.slice(cut + 1) : p;
}

function toInt(v: JsonValue | undefined): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return Number(v);
  return undefined;
}

function callTime(m: JsonMap): number | undefined {
  const t = m.get('timestamp') ?? m.get('time');
  return timeValue(t);
}

/** Seconds from a 1.x/CAPE "YYYY-MM-DD HH:MM:SS,mmm" string (naive, via Date.UTC) or a 2.0 float. */
export function timeValue(v: JsonValue | undefined): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const ms = parseNaiveDateTime(v);
  return ms === undefined ? undefined : ms / 1000;
}

function digits(s: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Milliseconds of "YYYY-MM-DD HH:MM:SS" with optional ",mmm" (or ".mmm"), as if UTC. */
function parseNaiveDateTime(s: string): number | undefined {
  if (s.length < 19 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return undefined;
  const sep = s.charCodeAt(10);
  if (sep !== 32 && sep !== 84) return undefined;
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  const sec = digits(s, 17, 2);
  if (
    y < 0 ||
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    d > 31 ||
    h < 0 ||
    h > 23 ||
    mi < 0 ||
    mi > 59 ||
    sec < 0 ||
    sec > 60
  ) {
    return undefined;
  }
  let ms = 0;
  if (s.length > 20 && (s.charCodeAt(19) === 44 || s.charCodeAt(19) === 46)) {
    const frac = s.slice(20, 23);
    const f = digits(frac, 0, frac.length);
    if (f < 0) return undefined;
    ms = frac.length === 3 ? f : frac.length === 2 ? f * 10 : f * 100;
  }
  return Date.UTC(y, mo - 1, d, h, mi, sec, ms);
}

function isoTime(v: JsonValue | undefined): string | undefined {
  let ms: number | undefined;
  if (typeof v === 'number' && Number.isFinite(v)) ms = v * 1000;
  else if (typeof v === 'string') ms = parseNaiveDateTime(v);
  if (ms === undefined) return undefined;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString().replace('.000Z', 'Z');
}

function callStatus(v: JsonValue | undefined): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (v === 'SUCCESS') return true;
  if (v === 'FAILURE') return false;
  return undefined;
}

function callArgs(v: JsonValue | undefined): Map<string, ArgValue> | undefined {
  if (v === undefined || v === null) return undefined;
  const args = new Map<string, ArgValue>();
  if (Array.isArray(v)) {
    for (const item of v) {
      if (!(item instanceof Map)) continue;
      const name = item.get('name');
      if (typeof name !== 'string' || args.has(name)) continue;
      args.set(name, argValue(item.get('value')));
    }
  } else if (v instanceof Map) {
    for (const [name, value] of v) if (!args.has(name)) args.set(name, argValue(value));
  }
  return args;
}

function argValue(v: JsonValue | undefined): ArgValue {
  if (v === undefined) return null;
  if (Array.isArray(v) || v instanceof Map) return jsonText(v);
  return v;
}

/** JSON text of a built value (Maps as objects, names escaped by JSON.stringify, never used as keys). */
function jsonText(v: JsonValue): string {
  if (Array.isArray(v)) return `[${v.map(jsonText).join(',')}]`;
  if (v instanceof Map) {
    return `{${Array.from(v, ([k, x]) => `${JSON.stringify(k)}:${jsonText(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

const ASCII = 'latin1';

/**
 * Which sandbox family the first bytes of a (decompressed) file look like, with a confidence.
 * Content markers only (§1 of the format doc); key order is not relied on, since `behavior` may come
 * before `info`/`target` and the head may hold only part of the document.
 */
export function sniffReport(head: Buffer): { family: ReportFamily | undefined; confidence: number } {
  const text = head.toString(ASCII);
  const start = text.search(/\S/);
  if (start < 0 || text[start] !== '{') return { family: undefined, confidence: 0 };
  const has = (re: RegExp) => re.test(text);
  const version = /"version"\s*:\s*"([^"]{1,40})"/.exec(text)?.[1];
  if (version !== undefined) {
    if (/-CAPE$/i.test(version) || /^1\.3-(NG|Optiv)/i.test(version))
      return { family: 'cape', confidence: 0.95 };
    if (
      /^(0\.[4-6]|1\.[0-2]|2\.0)/.test(version) &&
      has(/"(behavior|target|machine|processes|signatures)"\s*:/)
    ) {
      return { family: 'cuckoo', confidence: 0.95 };
    }
  }
  const reportish = has(/"(behavior|processtree|process_id|process_name|signatures|machine|statistics)"\s*:/);
  if (!reportish) return { family: undefined, confidence: 0 };
  // CAPE: call caller addresses, process environ + module_path, its own top-level sections, and
  // its signature fields (the head of a lite report may hold nothing but signatures).
  if (
    has(/"(caller|parentcaller|cape_yara|cape_type|new_data|curtain|sysmon|malscore|malstatus|CAPE)"\s*:/) ||
    (has(/"environ"\s*:/) && has(/"module_path"\s*:/)) ||
    has(/"statistics"\s*:\s*\{\s*"processing"\s*:/) // CAPE's per-module timings, also in 1.3-NG
  ) {
    return { family: 'cape', confidence: 0.85 };
  }
  // Cuckoo 2.0: float analysis times, dict arguments, its own sections; 1.x: thread ids as strings.
  if (
    has(/"(return_value|markcount|apistats)"\s*:/) ||
    has(/"(started|added)"\s*:\s*\d/) ||
    has(/"arguments"\s*:\s*\{/) ||
    has(/"thread_id"\s*:/)
  ) {
    return { family: 'cuckoo', confidence: 0.8 };
  }
  return { family: undefined, confidence: 0.4 };
}
