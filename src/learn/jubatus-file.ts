// Jubatus model files (`<datadir>/<ip>_<port>_classifier_<id>.jubatus`), read and written as
// jubatus-reference.md §5 describes them, for the linear classifiers (perceptron, PA, PA1, PA2,
// CW, AROW, NHERD); logreg is malgram's own method and has no Jubatus form.
//
//   offset  size  field (big-endian)
//   0       8     magic "jubatus\0"
//   8       8     format version (uint64) = 1
//   16      4     Jubatus version: major = 1 (written: 1.1.1, the last release)
//   20      4       minor
//   24      4       maintenance
//   28      4     CRC-32 (zlib/IEEE) of header bytes 0–27, then 32–47, system_data, user_data
//   32      8     system_data size (uint64)
//   40      8     user_data size (uint64)
//   48      …     system_data, then user_data; nothing follows
//
//   system_data = [1, timestamp (unix s), "classifier", id, config (JSON text)]
//   user_data   = [1, [classifier_model, weight_manager]]
//   classifier_model = [storage, labels]  ([unlearner, storage, labels] with an unlearner)
//   storage  = [tbl, class2id, tbl_diff, model_version]  (§1.1)
//     tbl, tbl_diff = {feature name: {label id (uint): [v1, v2, v3] (float64)}}
//     class2id = [{label: id}, {id: label}, next_id];  model_version = [n]
//   labels   = [master {label: count}, diff {label: count}, [n]]  (get_labels = master + diff)
//   weight_manager = [[n], diff_kw, master_kw]; kw = [document_count, [{name: df}],
//                    [{group: frequency}], [{group: total length}], {name: user weight}]
//
// Writing: label ids are the registration order 0..n−1 (Jubatus never reuses an id, so ascending
// ids are registration order, the classify order); everything is in the master parts, the diffs
// are empty and the three versions are the model's MIX version. v1 is the weight, v2 the
// covariance for CW/AROW/NHERD (0 otherwise), v3 0. A hashed model (hash_max_size) already names
// its features by the decimal bucket, as Jubatus stores them (§2.2 step 7).
// Reading: a cell is tbl + tbl_diff (component-wise), counts and document statistics are
// master + diff, labels are ordered by id, and the 2-element storage [tbl, class2id] that
// jubatus_core's standalone local_storage packs [src] is read too (model version 0). A model
// saved with an unlearner is refused: malgram has none.
// What the format cannot carry (lost through a .jubatus file): --max-features and the pruned
// count, per-feature training frequencies (pruning ties), the real n-grams behind hashed buckets
// (dumps then show the bucket), features seen without any cell, and user weights.
//
// Load checks, in order, each an InputError naming the file: magic, format version, major version
// ("created before v1.0.0"), sizes against the file length (truncated / trailing bytes: Jubatus
// fails reading before it can compute the CRC over the declared bytes), CRC, system_data
// version, type "classifier", config (JSON, a linear method), user_data version, model form.
//
// MessagePack is written and read here rather than with @msgpack/msgpack: its encoder writes a
// JS Map as an empty map and map keys only as strings (label ids are uint keys), and its decoder
// builds plain objects and refuses the key `__proto__` (a feature or label may be called that).
// Strings use fixstr/str16/str32 only, never str8 (0xd9), which pre-2013-spec readers such as
// msgpack-c 0.5 do not know; doubles are always float64 (0 and 1 too), counts and ids the
// smallest uint.
import { basename } from 'node:path';
import { crc32 } from 'node:zlib';
import { writeFileAtomic } from '../core/atomic-file.js';
import { InputError } from '../core/errors.js';
import { MsgpackBuffer } from '../core/msgpack-buffer.js';
import { canonicalMethod, parseConfig } from '../features/config.js';
import type { LabelState, ModelState } from './model-file.js';

export const JUBATUS_MAGIC = Buffer.from('jubatus\0', 'latin1');
const HEADER = 48;
const FORMAT_VERSION = 1n;
const WRITTEN_VERSION = [1, 1, 1] as const;
const LINEAR = new Set(['perceptron', 'PA', 'PA1', 'PA2', 'CW', 'AROW', 'NHERD']);
const COVARIANCE = new Set(['CW', 'AROW', 'NHERD']);
const LINEAR_LIST = 'perceptron, PA, PA1, PA2, CW, AROW, NHERD';
/** Nesting deeper than any Jubatus classifier model (a row cell is at depth 8). */
const MAX_DEPTH = 32;

// ---- MessagePack writer ------------------------------------------------------------------

class Writer extends MsgpackBuffer {
  constructor() {
    super(1 << 16);
  }

  array(n: number): this {
    this.header(n, 0x90, 0xdc, 0xdd);
    return this;
  }
  map(n: number): this {
    this.header(n, 0x80, 0xde, 0xdf);
    return this;
  }

  str(s: string): this {
    this.string(s);
    return this;
  }

  uint(x: number): this {
    if (!Number.isSafeInteger(x) || x < 0) throw new Error(`not an unsigned integer: ${x}`);
    this.ensure(9);
    if (x <= 0x7f) this.buf[this.pos++] = x;
    else if (x <= 0xff) {
      this.buf[this.pos++] = 0xcc;
      this.buf[this.pos++] = x;
    } else if (x <= 0xffff) {
      this.buf[this.pos++] = 0xcd;
      this.pos = this.buf.writeUInt16BE(x, this.pos);
    } else if (x <= 0xffffffff) {
      this.buf[this.pos++] = 0xce;
      this.pos = this.buf.writeUInt32BE(x, this.pos);
    } else {
      this.buf[this.pos++] = 0xcf;
      this.pos = this.buf.writeBigUInt64BE(BigInt(x), this.pos);
    }
    return this;
  }

  f64(x: number): this {
    this.float64(x);
    return this;
  }
}

// ---- MessagePack reader ------------------------------------------------------------------

/** A decoded map: its entries in file order (keys of any type, duplicates kept). */
class MsgMap {
  constructor(readonly entries: Array<[Value, Value]>) {}
}
type Value = null | boolean | number | string | Uint8Array | Value[] | MsgMap;

/** A problem with the file's contents (turned into an InputError naming the file). */
class BadFile extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true });

class Reader {
  pos = 0;
  constructor(
    private readonly b: Buffer,
    private readonly part: string,
  ) {}

  private fail(reason: string): never {
    throw new BadFile(`${this.part} is not valid MessagePack: ${reason} at byte ${this.pos}`);
  }
  private need(n: number): void {
    if (this.pos + n > this.b.length) this.fail('data ends inside a value');
  }
  private u8(): number {
    this.need(1);
    return this.b[this.pos++];
  }
  private u16(): number {
    this.need(2);
    const v = this.b.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  private u32(): number {
    this.need(4);
    const v = this.b.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  private int64(signed: boolean): number {
    this.need(8);
    const v = signed ? this.b.readBigInt64BE(this.pos) : this.b.readBigUInt64BE(this.pos);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
      this.fail(`integer ${v} out of range`);
    return Number(v);
  }
  private str(n: number): string {
    this.need(n);
    const s = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    try {
      return utf8.decode(s);
    } catch {
      return this.fail('a string is not UTF-8');
    }
  }
  private bin(n: number): Uint8Array {
    this.need(n);
    const out = new Uint8Array(this.b.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }
  private array(n: number, depth: number): Value[] {
    // every element takes at least one byte: a count beyond the data is refused before allocating
    if (n > this.b.length - this.pos)
      this.fail(`array of ${n} elements in ${this.b.length - this.pos} bytes`);
    const out: Value[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.value(depth + 1);
    return out;
  }
  private map(n: number, depth: number): MsgMap {
    if (2 * n > this.b.length - this.pos)
      this.fail(`map of ${n} entries in ${this.b.length - this.pos} bytes`);
    const out: Array<[Value, Value]> = new Array(n);
    for (let i = 0; i < n; i++) {
      const k = this.value(depth + 1);
      out[i] = [k, this.value(depth + 1)];
    }
    return new MsgMap(out);
  }

  value(depth = 0): Value {
    if (depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH}`);
    const h = this.u8();
    if (h <= 0x7f) return h;
    if (h >= 0xe0) return h - 0x100;
    if (h >= 0xa0 && h <= 0xbf) return this.str(h & 0x1f);
    if (h >= 0x90 && h <= 0x9f) return this.array(h & 0x0f, depth);
    if (h >= 0x80 && h <= 0x8f) return this.map(h & 0x0f, depth);
    switch (h) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.bin(this.u8());
      case 0xc5:
        return this.bin(this.u16());
      case 0xc6:
        return this.bin(this.u32());
      case 0xca: {
        this.need(4);
        const v = this.b.readFloatBE(this.pos);
        this.pos += 4;
        return v;
      }
      case 0xcb: {
        this.need(8);
        const v = this.b.readDoubleBE(this.pos);
        this.pos += 8;
        return v;
      }
      case 0xcc:
        return this.u8();
      case 0xcd:
        return this.u16();
      case 0xce:
        return this.u32();
      case 0xcf:
        return this.int64(false);
      case 0xd0:
        return (this.u8() << 24) >> 24;
      case 0xd1:
        return (this.u16() << 16) >> 16;
      case 0xd2:
        return this.u32() | 0;
      case 0xd3:
        return this.int64(true);
      case 0xd9:
        return this.str(this.u8());
      case 0xda:
        return this.str(this.u16());
      case 0xdb:
        return this.str(this.u32());
      case 0xdc:
        return this.array(this.u16(), depth);
      case 0xdd:
        return this.array(this.u32(), depth);
      case 0xde:
        return this.map(this.u16(), depth);
      case 0xdf:
        return this.map(this.u32(), depth);
      default:
        return this.fail(`unsupported type byte 0x${h.toString(16)}`);
    }
  }
}

/** Decodes one whole section (system_data or user_data): exactly one value, nothing after it. */
function decodeSection(b: Buffer, part: string): Value {
  const r = new Reader(b, part);
  const v = r.value();
  if (r.pos !== b.length) throw new BadFile(`${part} has ${b.length - r.pos} bytes after its value`);
  return v;
}

// ---- structure checks --------------------------------------------------------------------

function arrayOf(v: Value, what: string, lengths: readonly number[]): Value[] {
  if (!Array.isArray(v) || !lengths.includes(v.length)) {
    const got = Array.isArray(v) ? `${v.length} elements` : 'not an array';
    throw new BadFile(`${what} must be an array of ${lengths.join(' or ')} elements (${got})`);
  }
  return v;
}
function mapOf(v: Value, what: string): Array<[Value, Value]> {
  if (!(v instanceof MsgMap)) throw new BadFile(`${what} must be a map`);
  return v.entries;
}
function stringOf(v: Value, what: string): string {
  if (typeof v !== 'string') throw new BadFile(`${what} must be a string`);
  return v;
}
function uintOf(v: Value, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new BadFile(`${what} must be an unsigned integer`);
  return v;
}
function numberOf(v: Value, what: string): number {
  if (typeof v !== 'number') throw new BadFile(`${what} must be a number`);
  return v;
}
/** A one-element version array `[n]`. */
function versionOf(v: Value, what: string): number {
  return uintOf(arrayOf(v, what, [1])[0], `${what}[0]`);
}
/** A map with string keys, values read by `value`, summed into `into`. */
function addStringMap(
  v: Value,
  what: string,
  value: (x: Value, what: string) => number,
  into: Map<string, number>,
): void {
  for (const [k, x] of mapOf(v, what)) {
    const key = stringOf(k, `a key of ${what}`);
    into.set(key, (into.get(key) ?? 0) + value(x, `${what}[${JSON.stringify(key)}]`));
  }
}
function label(v: Value, what: string): string {
  const name = stringOf(v, what);
  if (name === '') throw new BadFile(`${what}: the empty label is not supported (malgram rejects "")`);
  return name;
}

/** The canonical method of a config text, refused unless it is one of Jubatus's linear classifiers. */
function linearMethodOf(configJson: string): string {
  let raw: unknown;
  try {
    raw = JSON.parse(configJson);
  } catch (err) {
    throw new BadFile(`the config is not valid JSON: ${(err as Error).message}`);
  }
  const name = (raw as { method?: unknown } | null)?.method;
  if (typeof name !== 'string') throw new BadFile('the config has no "method"');
  let method: string | undefined;
  try {
    method = canonicalMethod(name);
  } catch {
    method = undefined;
  }
  if (method === 'logreg')
    throw new BadFile(`method "${name}" is malgram's own, Jubatus has no such classifier (${LINEAR_LIST})`);
  if (method === undefined || !LINEAR.has(method))
    throw new BadFile(
      `classifier method "${name}" is not supported: only Jubatus's linear ones (${LINEAR_LIST})`,
    );
  try {
    parseConfig(configJson);
  } catch (err) {
    throw new BadFile(`the config is not usable: ${(err as Error).message}`);
  }
  return method;
}

// ---- encoding ----------------------------------------------------------------------------

function writeKeywordWeights(
  w: Writer,
  documentCount: number,
  df: Array<[string, number]>,
  gf: Array<[string, number]>,
  gtl: Array<[string, number]>,
): void {
  w.array(5).uint(documentCount);
  for (const counter of [df, gf, gtl]) {
    w.array(1).map(counter.length);
    for (const [k, v] of counter) w.str(k).f64(v);
  }
  w.map(0);
}

/** The bytes of a Jubatus model file for `state` (saved under `id`); `where` names it in errors. */
export function encodeJubatusFile(state: ModelState, id: string, where = 'model'): Uint8Array {
  let method: string;
  try {
    method = linearMethodOf(state.configJson);
  } catch (err) {
    if (err instanceof BadFile)
      throw new InputError(`cannot be written as a Jubatus model file: ${err.message}`, where);
    throw err;
  }
  const covariance = COVARIANCE.has(method);
  const labels = state.labels;
  const n = state.features.length;

  const sys = new Writer()
    .array(5)
    .uint(1)
    .uint(Math.floor(Date.now() / 1000))
    .str('classifier')
    .str(id)
    .str(state.configJson)
    .bytes();

  const w = new Writer();
  w.array(2).uint(1); // [user_data_version, driver]
  w.array(2); // driver = [classifier_model, weight_manager]
  w.array(2); // classifier_model = [storage, labels]
  w.array(4); // storage = [tbl, class2id, tbl_diff, model_version]
  let rows = 0;
  for (let i = 0; i < n; i++) if (labels.some((l) => l.has[i])) rows++;
  w.map(rows);
  for (let i = 0; i < n; i++) {
    let cells = 0;
    for (const l of labels) if (l.has[i]) cells++;
    if (cells === 0) continue;
    w.str(state.features[i]).map(cells);
    labels.forEach((l, labelId) => {
      if (l.has[i])
        w.uint(labelId)
          .array(3)
          .f64(l.w[i])
          .f64(covariance ? l.cov[i] : 0)
          .f64(0);
    });
  }
  w.array(3).map(labels.length);
  labels.forEach((l, labelId) => {
    w.str(l.name).uint(labelId);
  });
  w.map(labels.length);
  labels.forEach((l, labelId) => {
    w.uint(labelId).str(l.name);
  });
  w.uint(labels.length);
  w.map(0); // tbl_diff
  w.array(1).uint(state.version);
  // labels = [master, diff, version]
  w.array(3).map(state.labelCounts.length);
  for (const [name, count] of state.labelCounts) w.str(name).uint(count);
  w.map(0).array(1).uint(state.version);
  // weight_manager = [version, diff_kw, master_kw]
  w.array(3).array(1).uint(state.version);
  writeKeywordWeights(w, 0, [], [], []);
  writeKeywordWeights(
    w,
    state.documentCount,
    state.documentFrequencies,
    state.groupFrequencies,
    state.groupTotalLengths,
  );
  const user = w.bytes();

  const out = Buffer.alloc(HEADER + sys.length + user.length);
  JUBATUS_MAGIC.copy(out, 0);
  out.writeBigUInt64BE(FORMAT_VERSION, 8);
  out.writeUInt32BE(WRITTEN_VERSION[0], 16);
  out.writeUInt32BE(WRITTEN_VERSION[1], 20);
  out.writeUInt32BE(WRITTEN_VERSION[2], 24);
  out.writeBigUInt64BE(BigInt(sys.length), 32);
  out.writeBigUInt64BE(BigInt(user.length), 40);
  sys.copy(out, HEADER);
  user.copy(out, HEADER + sys.length);
  out.writeUInt32BE(checksum(out), 28);
  return out;
}

/** The CRC-32 of a whole file: header bytes 0–27, then everything from byte 32 on. */
function checksum(file: Buffer): number {
  return crc32(file.subarray(32), crc32(file.subarray(0, 28)));
}

// ---- decoding ----------------------------------------------------------------------------

export function isJubatusFile(bytes: Uint8Array): boolean {
  return bytes.length >= JUBATUS_MAGIC.length && JUBATUS_MAGIC.every((b, i) => bytes[i] === b);
}

/** Reads a Jubatus classifier model file into malgram's model state (refusals: see the header). */
export function decodeJubatusFile(bytes: Uint8Array, where: string): ModelState {
  try {
    return decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    if (err instanceof BadFile) throw new InputError(`Jubatus model file: ${err.message}`, where);
    throw err;
  }
}

function decode(b: Buffer): ModelState {
  if (!JUBATUS_MAGIC.subarray(0, Math.min(b.length, 8)).equals(b.subarray(0, 8)) || b.length === 0)
    throw new BadFile('not a Jubatus model file (bad magic)');
  if (b.length < HEADER) throw new BadFile(`truncated: ${b.length} bytes, the header alone is ${HEADER}`);
  const format = b.readBigUInt64BE(8);
  if (format !== FORMAT_VERSION)
    throw new BadFile(`format version ${format} is not supported (Jubatus 1.x writes ${FORMAT_VERSION})`);
  const version = `${b.readUInt32BE(16)}.${b.readUInt32BE(20)}.${b.readUInt32BE(24)}`;
  const major = b.readUInt32BE(16);
  if (major < 1) throw new BadFile(`cannot load model file created before v1.0.0 (it says v${version})`);
  if (major > 1) throw new BadFile(`made by Jubatus v${version}: only major version 1 is supported`);
  const sysSize = b.readBigUInt64BE(32);
  const userSize = b.readBigUInt64BE(40);
  const declared = BigInt(HEADER) + sysSize + userSize;
  if (declared !== BigInt(b.length)) {
    const sizes = `header ${HEADER} + system_data ${sysSize} + user_data ${userSize} = ${declared} bytes`;
    throw new BadFile(
      declared > BigInt(b.length)
        ? `truncated: ${b.length} bytes, the header declares ${sizes}`
        : `${BigInt(b.length) - declared} trailing bytes after ${sizes}`,
    );
  }
  const stored = b.readUInt32BE(28);
  const actual = checksum(b);
  if (stored !== actual) {
    const hex = (x: number) => `0x${x.toString(16).padStart(8, '0')}`;
    throw new BadFile(`corrupt: CRC-32 mismatch (header ${hex(stored)}, contents ${hex(actual)})`);
  }
  const sysEnd = HEADER + Number(sysSize);

  // system_data: [version, timestamp, type, id, config]; msgpack-c ignores extra elements
  const sys = decodeSection(b.subarray(HEADER, sysEnd), 'system_data');
  if (!Array.isArray(sys) || sys.length < 5)
    throw new BadFile('system_data must be [version, timestamp, type, id, config]');
  if (sys[0] !== 1) throw new BadFile(`system_data version ${String(sys[0])} is not supported (1 expected)`);
  const type = stringOf(sys[2], 'system_data type');
  if (type !== 'classifier')
    throw new BadFile(`the model type is "${type}", not "classifier" (a jubaclassifier model is needed)`);
  const configJson = stringOf(sys[4], 'system_data config');
  const method = linearMethodOf(configJson);

  // user_data: [version, [classifier_model, weight_manager]]
  const user = decodeSection(b.subarray(sysEnd), 'user_data');
  if (!Array.isArray(user) || user.length < 2) throw new BadFile('user_data must be [version, driver]');
  if (user[0] !== 1) throw new BadFile(`user_data version ${String(user[0])} is not supported (1 expected)`);
  const [classifierModel, weightManager] = arrayOf(user[1], 'the classifier driver', [2]);
  if (Array.isArray(classifierModel) && classifierModel.length === 3)
    throw new BadFile(
      'the model was saved with an unlearner ([unlearner, storage, labels]); malgram has no unlearner and does not read it',
    );
  const [storage, labelCounter] = arrayOf(classifierModel, 'classifier_model [storage, labels]', [2]);
  return {
    ...readStorage(storage, COVARIANCE.has(method) ? 1 : 0),
    ...readLabelCounter(labelCounter),
    ...readWeightManager(weightManager),
    configJson,
    options: {},
    display: [],
    prunedFeatures: 0,
  };
}

function readStorage(
  v: Value,
  covInit: number,
): Pick<ModelState, 'labels' | 'features' | 'frequency' | 'version'> {
  const s = arrayOf(v, 'storage [tbl, class2id, tbl_diff, model_version]', [2, 4]);
  const [key2id, id2key, nextId] = arrayOf(s[1], 'class2id [key2id, id2key, next_id]', [3]);
  const next = uintOf(nextId, 'class2id next_id');
  const names = new Map<number, string>();
  for (const [k, idv] of mapOf(key2id, 'class2id key2id')) {
    const name = label(k, 'a label of class2id');
    const id = uintOf(idv, `the id of label ${JSON.stringify(name)}`);
    if (names.has(id)) throw new BadFile(`class2id gives id ${id} to two labels`);
    if (id >= next) throw new BadFile(`class2id: label id ${id} is not below next_id ${next}`);
    names.set(id, name);
  }
  const id2keyEntries = mapOf(id2key, 'class2id id2key');
  if (
    id2keyEntries.length !== names.size ||
    id2keyEntries.some(([id, name]) => typeof id !== 'number' || names.get(id) !== name)
  )
    throw new BadFile('class2id: key2id and id2key disagree');
  const ids = [...names.keys()].sort((a, b) => a - b);
  const column = new Map(ids.map((id, c) => [id, c]));

  const tables = [s[0], ...(s.length === 4 ? [s[2]] : [])];
  const feature = new Map<string, number>();
  const rows = tables.map((t, k) => {
    const what = k === 0 ? 'tbl' : 'tbl_diff';
    const seen = new Set<string>();
    return mapOf(t, what).map(([f, row]) => {
      const name = stringOf(f, `a feature name in ${what}`);
      if (seen.has(name)) throw new BadFile(`${what} holds feature ${JSON.stringify(name)} twice`);
      seen.add(name);
      if (!feature.has(name)) feature.set(name, feature.size);
      return { what, name, index: feature.get(name)!, cells: mapOf(row, `${what}[${JSON.stringify(name)}]`) };
    });
  });
  const n = feature.size;
  const labels: LabelState[] = ids.map((id) => ({
    name: names.get(id)!,
    w: new Float64Array(n),
    cov: new Float64Array(n).fill(covInit),
    has: new Uint8Array(n),
  }));
  for (const table of rows) {
    for (const { what, name, index, cells } of table) {
      for (const [idv, cell] of cells) {
        const where = `${what}[${JSON.stringify(name)}]`;
        const id = uintOf(idv, `a label id in ${where}`);
        const c = column.get(id);
        if (c === undefined) throw new BadFile(`${where} has a cell for label id ${id}, unknown to class2id`);
        const [v1, v2] = arrayOf(cell, `${where}[${id}] [v1, v2, v3]`, [3]).map((x) =>
          numberOf(x, `${where}[${id}] values`),
        );
        const l = labels[c];
        // a read is tbl + tbl_diff; an absent part adds nothing
        l.w[index] = l.has[index] ? l.w[index] + v1 : v1;
        l.cov[index] = l.has[index] ? l.cov[index] + v2 : v2;
        l.has[index] = 1;
      }
    }
  }
  return {
    labels,
    features: [...feature.keys()],
    frequency: new Uint32Array(n),
    version: s.length === 4 ? versionOf(s[3], 'storage model_version') : 0,
  };
}

function readLabelCounter(v: Value): Pick<ModelState, 'labelCounts' | 'sampleCount'> {
  const [master, diff, version] = arrayOf(v, 'labels [master, diff, version]', [3]);
  versionOf(version, 'labels version');
  const counts = new Map<string, number>();
  addStringMap(master, 'labels master', uintOf, counts);
  addStringMap(diff, 'labels diff', uintOf, counts);
  for (const name of counts.keys()) label(name, 'a label of the label counter');
  let samples = 0;
  for (const c of counts.values()) samples += c;
  return { labelCounts: [...counts], sampleCount: samples };
}

function readWeightManager(
  v: Value,
): Pick<ModelState, 'documentCount' | 'documentFrequencies' | 'groupFrequencies' | 'groupTotalLengths'> {
  const [version, ...parts] = arrayOf(v, 'weight_manager [version, diff, master]', [3]);
  versionOf(version, 'weight_manager version');
  let documentCount = 0;
  const df = new Map<string, number>();
  const gf = new Map<string, number>();
  const gtl = new Map<string, number>();
  parts.forEach((kw, k) => {
    const what = `weight_manager ${k === 0 ? 'diff' : 'master'}`;
    const [count, dfv, gfv, gtlv, user] = arrayOf(
      kw,
      `${what} [document_count, df, group_frequencies, group_total_lengths, weights]`,
      [5],
    );
    documentCount += uintOf(count, `${what} document_count`);
    addStringMap(arrayOf(dfv, `${what} df`, [1])[0], `${what} df`, numberOf, df);
    addStringMap(
      arrayOf(gfv, `${what} group_frequencies`, [1])[0],
      `${what} group_frequencies`,
      numberOf,
      gf,
    );
    addStringMap(
      arrayOf(gtlv, `${what} group_total_lengths`, [1])[0],
      `${what} group_total_lengths`,
      numberOf,
      gtl,
    );
    mapOf(user, `${what} weights`);
  });
  return {
    documentCount,
    documentFrequencies: [...df],
    groupFrequencies: [...gf],
    groupTotalLengths: [...gtl],
  };
}

// ---- files -------------------------------------------------------------------------------

/** Whether `save` writes Jubatus's format for this (final) name: it ends in `.jubatus`. */
export function isJubatusPath(path: string): boolean {
  return path.endsWith('.jubatus');
}

/**
 * The save id of a Jubatus file name: `<id>` of Jubatus's own `<ip>_<port>_classifier_<id>.jubatus`
 * (what the RPC `save` writes), otherwise the name without `.jubatus`.
 */
export function jubatusIdOf(path: string): string {
  const name = basename(path).replace(/\.jubatus$/, '');
  return /^[^_]+_\d+_classifier_(.+)$/.exec(name)?.[1] ?? name;
}

/**
 * Writes `state` as a Jubatus model file, atomically (temp file, fsync, rename); `as` is the name
 * the file will finally have (its save id), when `path` is a temporary name.
 */
export function writeJubatusFile(path: string, state: ModelState, as = path): void {
  writeFileAtomic(path, encodeJubatusFile(state, jubatusIdOf(as), path));
}
