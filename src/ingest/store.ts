// The sample store: an embedded SQLite file (better-sqlite3, WAL) holding analyses and their
// per-process API sequences (schema in store-schema.ts). Writes go in batches, one transaction
// each, so a process killed mid-batch loses only the batch in flight. Read back as full Traces.
import { gunzipSync, gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { InputError } from '../core/errors.js';
import type { ArgValue, Call, ProcessTrace, Trace } from '../core/trace.js';
import { countCalls } from '../core/trace.js';
import { bareCall } from './bare-call.js';
import { traceDuration } from './filters.js';
import { SCHEMA_SQL, SCHEMA_VERSION } from './store-schema.js';

/** Default store path (design.md). */
export const DEFAULT_DB = './malgram.db';

// ---- compact encodings -------------------------------------------------------------------

/** Unsigned LEB128 varints. */
export function encodeVarints(values: ArrayLike<number>): Buffer {
  const out = Buffer.allocUnsafe(values.length * 5);
  let o = 0;
  for (let i = 0; i < values.length; i++) {
    let v = values[i];
    while (v >= 0x80) {
      out[o++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    out[o++] = v;
  }
  return out.subarray(0, o);
}

export function decodeVarints(buf: Uint8Array, count: number): number[] {
  const out = new Array<number>(count);
  let o = 0;
  for (let i = 0; i < count; i++) {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (o >= buf.length) throw new Error('corrupt varint blob in the store');
      const b = buf[o++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 128;
    }
    out[i] = v;
  }
  return out;
}

type CallDetail = [Array<[string, ArgValue]> | null, string | number | null, boolean | null, string | null];

// ---- the store ---------------------------------------------------------------------------

export interface AnalysisRow {
  id: number;
  origin: string;
  sample_id: string;
  label: string | null;
  time: string | null;
  source: string | null;
  format: string;
  vt_positives: number | null;
  vt_total: number | null;
  processes: number;
  calls: number;
  calls_expanded: number;
  duration_s: number | null;
}

export class SampleStore {
  readonly db: Database.Database;
  private readonly apiIds = new Map<string, number>();
  private readonly categoryIds = new Map<string, number>();
  private readonly stmts;

  private constructor(db: Database.Database) {
    this.db = db;
    this.stmts = {
      insertApi: db.prepare<[string], { id: number }>('INSERT INTO apis (name) VALUES (?) RETURNING id'),
      insertCategory: db.prepare<[string], { id: number }>(
        'INSERT INTO categories (name) VALUES (?) RETURNING id',
      ),
      insertAnalysis: db.prepare(
        `INSERT OR IGNORE INTO analyses (origin, sample_id, label, time, source, format, input_path,
           vt_positives, vt_total, processes, calls, calls_expanded, duration_s, ingested_at)
         VALUES (@origin, @sample_id, @label, @time, @source, @format, @input_path,
           @vt_positives, @vt_total, @processes, @calls, @calls_expanded, @duration_s, @ingested_at)`,
      ),
      insertProcess: db.prepare(
        `INSERT INTO processes (analysis_id, seq, pid, ppid, name, path, command_line, first_seen,
           api_ids, category_ids, repeated, ts, details)
         VALUES (@analysis_id, @seq, @pid, @ppid, @name, @path, @command_line, @first_seen,
           @api_ids, @category_ids, @repeated, @ts, @details)`,
      ),
    };
    this.loadNames();
  }

  /** Opens (creating unless `mustExist`) a store file. */
  static open(path: string, opts: { mustExist?: boolean; readonly?: boolean } = {}): SampleStore {
    let db: Database.Database;
    try {
      db = new Database(path, { fileMustExist: opts.mustExist ?? false, readonly: opts.readonly ?? false });
    } catch (err) {
      throw new InputError(`cannot open the store: ${(err as Error).message}`, path);
    }
    try {
      if (!opts.readonly) {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.pragma('foreign_keys = ON');
        db.exec(SCHEMA_SQL);
        const row = db.prepare<[], { version: number }>('SELECT version FROM schema_version').get();
        if (!row) db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SCHEMA_VERSION);
      }
      const row = db.prepare<[], { version: number }>('SELECT version FROM schema_version').get();
      if (!row || row.version !== SCHEMA_VERSION)
        throw new InputError(
          `store schema version ${row?.version ?? 'none'}, expected ${SCHEMA_VERSION}`,
          path,
        );
      return new SampleStore(db);
    } catch (err) {
      db.close();
      if (err instanceof InputError) throw err;
      throw new InputError(`not a malgram store: ${(err as Error).message}`, path);
    }
  }

  private loadNames(): void {
    this.apiIds.clear();
    this.categoryIds.clear();
    for (const r of this.db.prepare<[], { id: number; name: string }>('SELECT id, name FROM apis').iterate())
      this.apiIds.set(r.name, r.id);
    for (const r of this.db
      .prepare<[], { id: number; name: string }>('SELECT id, name FROM categories')
      .iterate())
      this.categoryIds.set(r.name, r.id);
  }

  private apiId(name: string): number {
    let id = this.apiIds.get(name);
    if (id === undefined) {
      id = this.stmts.insertApi.get(name)!.id;
      this.apiIds.set(name, id);
    }
    return id;
  }

  private categoryId(name: string): number {
    let id = this.categoryIds.get(name);
    if (id === undefined) {
      id = this.stmts.insertCategory.get(name)!.id;
      this.categoryIds.set(name, id);
    }
    return id;
  }

  private insertProcess(analysisId: number, seq: number, p: ProcessTrace): void {
    const n = p.calls.length;
    const apiIds = new Array<number>(n);
    const categoryIds = new Array<number>(n);
    const repeated = new Array<number>(n);
    const ts = new Float64Array(n);
    let anyCategory = false;
    let anyRepeated = false;
    let anyTs = false;
    let anyDetail = false;
    const details: CallDetail[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const c = p.calls[i];
      apiIds[i] = this.apiId(c.api);
      categoryIds[i] = c.category !== undefined ? this.categoryId(c.category) : 0;
      anyCategory ||= c.category !== undefined;
      repeated[i] = c.repeated ?? 0;
      anyRepeated ||= repeated[i] > 0;
      ts[i] = c.ts ?? Number.NaN;
      anyTs ||= c.ts !== undefined;
      const d: CallDetail = [
        c.args ? [...c.args.entries()] : null,
        c.ret ?? null,
        c.status ?? null,
        c.tid ?? null,
      ];
      anyDetail ||= d[0] !== null || d[1] !== null || d[2] !== null || d[3] !== null;
      details[i] = d;
    }
    this.stmts.insertProcess.run({
      analysis_id: analysisId,
      seq,
      pid: p.pid,
      ppid: p.ppid ?? null,
      name: p.name ?? null,
      path: p.path ?? null,
      command_line: p.commandLine ?? null,
      first_seen: p.firstSeen ?? null,
      api_ids: encodeVarints(apiIds),
      category_ids: anyCategory ? encodeVarints(categoryIds) : null,
      repeated: anyRepeated ? encodeVarints(repeated) : null,
      ts: anyTs ? Buffer.from(ts.buffer, ts.byteOffset, ts.byteLength) : null,
      details: anyDetail ? gzipSync(JSON.stringify(details)) : null,
    });
  }

  /**
   * Adds a batch of traces in one transaction. Each trace needs an `origin`; one already in the
   * store is a duplicate and adds nothing. Returns, per trace, whether it was added.
   */
  addBatch(traces: Array<{ trace: Trace; inputPath?: string }>): boolean[] {
    const run = this.db.transaction(() => {
      const now = new Date().toISOString();
      return traces.map(({ trace, inputPath }) => {
        if (!trace.origin) throw new Error(`trace ${trace.id} has no origin`);
        const { records, expanded } = countCalls(trace);
        const vt = trace.evidence?.virustotal;
        const info = this.stmts.insertAnalysis.run({
          origin: trace.origin,
          sample_id: trace.id,
          label: trace.label ?? null,
          time: trace.time ?? null,
          source: trace.source ?? null,
          format: trace.format,
          input_path: inputPath ?? null,
          vt_positives: vt?.positives ?? null,
          vt_total: vt?.total ?? null,
          processes: trace.processes.length,
          calls: records,
          calls_expanded: expanded,
          duration_s: traceDuration(trace) ?? null,
          ingested_at: now,
        });
        if (info.changes === 0) return false;
        const analysisId = Number(info.lastInsertRowid);
        for (const [seq, p] of trace.processes.entries()) this.insertProcess(analysisId, seq, p);
        return true;
      });
    });
    try {
      return run();
    } catch (err) {
      this.loadNames(); // ids interned inside the rolled-back transaction are gone
      throw err;
    }
  }

  /** Whether an analysis with this origin is stored. */
  has(origin: string): boolean {
    return this.db.prepare('SELECT 1 FROM analyses WHERE origin = ?').get(origin) !== undefined;
  }

  /** The analysis rows (no call sequences), in ingest order. */
  *analyses(): Generator<AnalysisRow> {
    yield* this.db.prepare<[], AnalysisRow>('SELECT * FROM analyses ORDER BY id').iterate();
  }

  private names(table: 'apis' | 'categories'): Map<number, string> {
    const m = new Map<number, string>();
    for (const r of this.db
      .prepare<[], { id: number; name: string }>(`SELECT id, name FROM ${table}`)
      .iterate())
      m.set(r.id, r.name);
    return m;
  }

  /** Every stored analysis as a Trace, in ingest order. `api` detail skips arguments/returns. */
  traces(opts: { detail?: 'full' | 'api' } = {}): Generator<Trace> {
    return this.tracesWhere('', [], opts.detail ?? 'full');
  }

  /** The stored analysis with this origin (a lookup on its unique index), or undefined. */
  trace(origin: string, opts: { detail?: 'full' | 'api' } = {}): Trace | undefined {
    for (const t of this.tracesWhere('WHERE a.origin = ?', [origin], opts.detail ?? 'full')) return t;
    return undefined;
  }

  private *tracesWhere(where: string, params: unknown[], detail: 'full' | 'api'): Generator<Trace> {
    const apiNames = this.names('apis');
    const categoryNames = this.names('categories');
    const rows = this.db
      .prepare<unknown[], AnalysisRow & ProcessRow>(
        `SELECT a.*, p.seq, p.pid, p.ppid, p.name, p.path, p.command_line, p.first_seen, p.api_ids,
           p.category_ids, p.repeated, p.ts, ${detail === 'full' ? 'p.details' : 'NULL AS details'}
         FROM analyses a LEFT JOIN processes p ON p.analysis_id = a.id ${where} ORDER BY a.id, p.seq`,
      )
      .iterate(...params);
    let current: Trace | undefined;
    let currentId = -1;
    for (const r of rows) {
      if (r.id !== currentId) {
        if (current) yield current;
        currentId = r.id;
        current = traceOfRow(r);
      }
      if (r.seq !== null) current!.processes.push(processOfRow(r, apiNames, categoryNames));
    }
    if (current) yield current;
  }

  close(): void {
    this.db.close();
  }
}

interface ProcessRow {
  seq: number | null;
  pid: number;
  ppid: number | null;
  name: string | null;
  path: string | null;
  command_line: string | null;
  first_seen: number | null;
  api_ids: Buffer;
  category_ids: Buffer | null;
  repeated: Buffer | null;
  ts: Buffer | null;
  details: Buffer | null;
}

function traceOfRow(r: AnalysisRow): Trace {
  const t: Trace = { id: r.sample_id, format: r.format, origin: r.origin, processes: [] };
  if (r.label !== null) t.label = r.label;
  if (r.time !== null) t.time = r.time;
  if (r.source !== null) t.source = r.source;
  if (r.vt_positives !== null && r.vt_total !== null)
    t.evidence = { virustotal: { positives: r.vt_positives, total: r.vt_total } };
  return t;
}

function processOfRow(
  r: ProcessRow,
  apiNames: Map<number, string>,
  categoryNames: Map<number, string>,
): ProcessTrace {
  const ids = decodeVarintsAll(r.api_ids);
  const n = ids.length;
  const categories = r.category_ids ? decodeVarints(r.category_ids, n) : null;
  const repeated = r.repeated ? decodeVarints(r.repeated, n) : null;
  const ts = r.ts
    ? new Float64Array(r.ts.buffer.slice(r.ts.byteOffset, r.ts.byteOffset + r.ts.byteLength))
    : null;
  const details = r.details ? (JSON.parse(gunzipSync(r.details).toString('utf8')) as CallDetail[]) : null;
  const calls = new Array<Call>(n);
  for (let i = 0; i < n; i++) {
    const api = apiNames.get(ids[i]) ?? '';
    const d = details?.[i];
    const hasCategory = categories !== null && categories[i] !== 0;
    const hasTs = ts !== null && !Number.isNaN(ts[i]);
    const hasRepeated = repeated !== null && repeated[i] > 0;
    // a call known by its name alone shares one record per name (as JSONL and CSV calls do)
    if (!d && !hasCategory && !hasTs && !hasRepeated) {
      calls[i] = bareCall(api);
      continue;
    }
    const call: Call = { api };
    if (hasCategory) call.category = categoryNames.get(categories[i]);
    if (hasTs) call.ts = ts[i];
    if (hasRepeated) call.repeated = repeated[i];
    if (d) {
      if (d[0] !== null) call.args = new Map(d[0]);
      if (d[1] !== null) call.ret = d[1];
      if (d[2] !== null) call.status = d[2];
      if (d[3] !== null) call.tid = d[3];
    }
    calls[i] = call;
  }
  const p: ProcessTrace = { pid: r.pid, calls };
  if (r.ppid !== null) p.ppid = r.ppid;
  if (r.name !== null) p.name = r.name;
  if (r.path !== null) p.path = r.path;
  if (r.command_line !== null) p.commandLine = r.command_line;
  if (r.first_seen !== null) p.firstSeen = r.first_seen;
  return p;
}

/** Decodes a whole varint blob (the number of values is not stored for api_ids). */
function decodeVarintsAll(buf: Uint8Array): number[] {
  let count = 0;
  for (let i = 0; i < buf.length; i++) if (buf[i] < 0x80) count++;
  return decodeVarints(buf, count);
}

/** Streams the traces of an existing store file (an InputError when it is missing or not a store). */
export function* openStoreTraces(path: string, opts: { detail?: 'full' | 'api' } = {}): Generator<Trace> {
  const store = SampleStore.open(path, { mustExist: true, readonly: true });
  try {
    yield* store.traces(opts);
  } finally {
    store.close();
  }
}
