// The native API-sequence rule: n-grams of API names per process (never crossing a process
// boundary), joined with `_`, named exactly as the Jubatus `space` rule on datum key `api_call`
// names them: `api_call$VirtualProtectEx_VirtualProtectEx_VirtualProtectEx@space#log_tf/bin`.
//
// Trace → features: a trace is ONE document. tf of an n-gram = its number of occurrences summed
// over all processes of the trace — the same as a Jubatus datum whose `api_call` value holds the
// space-separated n-grams of every process (`traceToDatum`), so both paths give the same vector.
// `repeated` records: `keep` one token per record (default), `collapse` consecutive identical APIs
// into one, `expand` each record 1 + repeated times (at most `expand_cap`, default 16).
// Whitespace inside an API name is replaced by `_` (a name must stay one `space` token).
//
// Two implementations: `traceToDatum` + the Jubatus converter (any weights, the optional
// category / argument families), and `ApiNgramExtractor`, the hot path for the common case
// (API n-grams only, global weight `bin`): API names interned to ids (or taken as the loader
// interned them, `ProcessTrace.interned`: an array load per call instead of hashing the name),
// n-gram keys are numbers built from the ids, looked up in an open-addressing table, feature
// names built once per new n-gram.
import { apiVocabulary } from '../core/api-vocabulary.js';
import type { Datum } from '../core/datum.js';
import type { Call, ProcessTrace, Trace } from '../core/trace.js';
import { argTokens } from './arg-tokens.js';
import {
  API_CALL_KEY,
  type NativeConfig,
  type NgramRange,
  parseNgram,
  type RepeatedPolicy,
} from './config.js';
import { sampleWeight, stringFeatureName } from './converter.js';
import type { FeatureDictionary } from './dictionary.js';
import { hashedName } from './fnv1.js';
import { EMPTY, NumericIndex } from './numeric-index.js';
import { reserve, type SparseVector } from './sparse-vector.js';
import type { WeightManager } from './weight-manager.js';

export const API_CATEGORY_KEY = 'api_category';
export const API_ARG_KEY = 'api_arg';
const DEFAULT_EXPAND_CAP = 16;

export function sanitizeApi(name: string): string {
  return /[ \t\f\n\r\v]/.test(name) ? name.replace(/[ \t\f\n\r\v]/g, '_') : name;
}

/** The feature name of an API n-gram under the native rule (what `classify` uses). */
export function ngramFeatureName(
  apis: readonly string[],
  native: Pick<NativeConfig, 'sample_weight' | 'global_weight'>,
): string {
  return stringFeatureName(
    API_CALL_KEY,
    apis.map(sanitizeApi).join('_'),
    'space',
    native.sample_weight,
    native.global_weight,
  );
}

/**
 * The feature name and value of an API n-gram seen `tf` times in one trace, exactly as
 * `classify` computes them (the real-time detector uses this to score incrementally).
 * `weights` (the model's document statistics) is needed for idf/idf1/bm25 global weights;
 * `hashMaxSize` when the model uses a hashed feature space.
 */
export function ngramFeature(
  apis: readonly string[],
  tf: number,
  native: Pick<NativeConfig, 'sample_weight' | 'global_weight'>,
  weights?: WeightManager,
  hashMaxSize?: number,
): [name: string, value: number] {
  const name = ngramFeatureName(apis, native);
  const sw = sampleWeight(native.sample_weight, tf);
  const value = weights ? weights.weigh(name, sw) : sw;
  return [hashMaxSize === undefined ? name : hashedName(name, hashMaxSize), value];
}

/** Call records of one process under the repeated policy, as a list of (call, times). */
function forEachRecord(
  p: ProcessTrace,
  policy: RepeatedPolicy,
  cap: number,
  emit: (call: Call) => void,
): void {
  let prev: string | undefined;
  for (const c of p.calls) {
    if (policy === 'collapse') {
      if (c.api === prev) continue;
      prev = c.api;
      emit(c);
    } else if (policy === 'expand') {
      const times = 1 + Math.min(c.repeated ?? 0, cap - 1);
      for (let t = 0; t < times; t++) emit(c);
    } else emit(c);
  }
}

/** n-grams of a token sequence for every n in range, appended to `out` joined with `_`. */
function pushNgrams(tokens: string[], range: NgramRange, out: string[]): void {
  for (let n = range.min; n <= range.max; n++) {
    for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join('_'));
  }
}

/** The Jubatus datum equivalent to a trace under the native rule (see the header). */
export function traceToDatum(trace: Trace, native: NativeConfig): Datum {
  const range = parseNgram(native.ngram);
  const policy = native.repeated ?? 'keep';
  const cap = native.expand_cap ?? DEFAULT_EXPAND_CAP;
  const apiGrams: string[] = [];
  const categoryGrams: string[] = [];
  const stringValues: Datum['stringValues'] = [];
  const args: string[] = [];
  for (const p of trace.processes) {
    const apis: string[] = [];
    const cats: string[] = [];
    forEachRecord(p, policy, cap, (c) => {
      apis.push(sanitizeApi(c.api));
      if (native.categories) cats.push(sanitizeApi(c.category ?? 'unknown'));
      if (native.args) argTokens(c, (t) => args.push(t));
    });
    pushNgrams(apis, range, apiGrams);
    if (native.categories) pushNgrams(cats, range, categoryGrams);
  }
  stringValues.push([API_CALL_KEY, apiGrams.join(' ')]);
  if (native.categories) stringValues.push([API_CATEGORY_KEY, categoryGrams.join(' ')]);
  if (native.args) stringValues.push([API_ARG_KEY, args.join(' ')]);
  return { stringValues, numValues: [] };
}

/** The Jubatus converter rules that `traceToDatum`'s keys are converted with. */
export function nativeStringRules(native: NativeConfig) {
  const rules = [
    {
      key: API_CALL_KEY,
      type: 'space',
      sample_weight: native.sample_weight,
      global_weight: native.global_weight,
    },
  ];
  if (native.categories) {
    rules.push({
      key: API_CATEGORY_KEY,
      type: 'space',
      sample_weight: native.sample_weight,
      global_weight: native.global_weight,
    });
  }
  if (native.args)
    rules.push({ key: API_ARG_KEY, type: 'space', sample_weight: 'bin', global_weight: 'bin' });
  return rules;
}

/** Whether the hot path applies to this native config. */
export function fastPathApplies(native: NativeConfig): boolean {
  return native.global_weight === 'bin' && !native.categories && !native.args;
}

const MAX_CLASSIFY_INTERNED = 1 << 16;
const MAX_MISSES = 1 << 20;

/** The hot path (global weight `bin`, API n-grams only). One instance per model. */
export class ApiNgramExtractor {
  private readonly range: NgramRange;
  private readonly bits: number;
  private readonly base: number;
  private readonly policy: RepeatedPolicy;
  private readonly cap: number;
  private readonly apiIds = new Map<string, number>();
  private readonly apiNames: string[] = [];
  /** By id in `apiVocabulary`: this extractor's API id + 1 (0: not mapped yet). */
  private fromVocabulary = new Int32Array(0);
  private keyIndex = new NumericIndex();
  /** n-gram keys classify found in neither the key index nor the dictionary (a bounded cache). */
  private readonly misses = new NumericIndex();
  private missesAtSize = -1;
  /** n-grams whose API ids do not fit the numeric key (huge vocabularies). */
  private readonly wideIndex = new Map<string, number>();
  /** By feature: the mark of wide n-grams (see `extract`); the per-feature merge (allocated when first needed). */
  private wideMarks = new Int32Array(1024);
  private merged = new Uint32Array(0);
  /** By feature: whether some n-gram key maps to it; `sharedFeatures` once one has two keys. */
  private keyed = new Uint8Array(1024);
  private sharedFeatures = false;
  /** Lazily named features: offset of their ids in `pool` (by feature index), -1 otherwise. */
  private pendingOffset = new Int32Array(1024).fill(-1);
  private pool = new Int32Array(4096);
  private poolLength = 0;
  /** The current trace's distinct n-grams by position (first-occurrence order): feature and occurrences. */
  private positionFeature = new Int32Array(1024);
  private positionTally = new Int32Array(1024);
  /** Sample weight of each small tf, 0 until first needed (every weight of a tf ≥ 1 is > 0). */
  private readonly tfWeights = new Float64Array(4096);
  /** Marks ≤ epoch are stale; a mark epoch + 1 + p says "seen in this trace at position p". */
  private epoch = 0;
  private ids = new Int32Array(1024);
  /** Occurrences of n-grams unknown to the dictionary in the last classify-mode extraction. */
  unknownNgrams = 0;
  /**
   * Some interned API name contains `_`, the n-gram separator: then two different n-grams can
   * have one name (the 1-gram `A_B` and the 2-gram A,B; or A_B,C and A,B_C), and new features
   * are looked up by name so that they are one feature, as in Jubatus where the name is the
   * feature. Without `_` in any name the name of an n-gram is unique and the lookup is skipped.
   */
  private separatorInNames = false;

  constructor(
    private readonly native: NativeConfig,
    private readonly dictionary: FeatureDictionary,
    private readonly hashMaxSize?: number,
  ) {
    this.range = parseNgram(native.ngram);
    // key = (n−1) then n ids of `bits` bits each: 3 + n·bits ≤ 53
    this.bits = Math.floor(50 / this.range.max);
    this.base = 2 ** this.bits;
    this.policy = native.repeated ?? 'keep';
    this.cap = native.expand_cap ?? DEFAULT_EXPAND_CAP;
    dictionary.namer = (f) => this.lazyName(f);
  }

  /** Forgets every n-gram → feature mapping (the dictionary was cleared or renumbered). */
  reset(): void {
    this.pendingOffset.fill(-1);
    this.poolLength = 0;
    this.keyIndex = new NumericIndex();
    this.wideIndex.clear();
    this.misses.clear();
    this.keyed.fill(0);
    this.sharedFeatures = false;
    this.wideMarks.fill(0);
  }

  /**
   * Follows a dictionary renumbering (old index → new index or -1). The dictionary has
   * resolved every lazy name before renumbering, so the pending ids are dropped.
   */
  remap(map: Int32Array): void {
    this.pendingOffset.fill(-1);
    this.poolLength = 0;
    this.keyIndex.remap(map);
    this.wideMarks.fill(0);
    this.misses.clear();
    const keyed = new Uint8Array(this.keyed.length);
    for (let f = 0; f < map.length && f < keyed.length; f++) if (map[f] >= 0) keyed[map[f]] = this.keyed[f];
    this.keyed = keyed;
    for (const [k, v] of this.wideIndex) {
      if (map[v] < 0) this.wideIndex.delete(k);
      else this.wideIndex.set(k, map[v]);
    }
  }

  private internApi(raw: string, create: boolean): number {
    let id = this.apiIds.get(raw);
    if (id === undefined) {
      // classify interns too (an API may be part of features made from datums), within a bound
      if (!create && this.apiNames.length >= MAX_CLASSIFY_INTERNED) return -1;
      const name = sanitizeApi(raw);
      id = name === raw ? undefined : this.apiIds.get(name);
      if (id === undefined) {
        id = this.apiNames.length;
        this.apiNames.push(name);
        this.apiIds.set(name, id);
        if (name.includes('_')) this.separatorInNames = true;
      }
      this.apiIds.set(raw, id);
    }
    return id;
  }

  /** This extractor's id of `apiVocabulary` id `v` (mapped once, then an array load). */
  private fromVocabularyId(v: number, create: boolean): number {
    const id = this.internApi(apiVocabulary.name(v), create);
    if (id < 0) return id;
    if (v >= this.fromVocabulary.length) {
      const m = new Int32Array(Math.max(v + 1, this.fromVocabulary.length * 2, 256));
      m.set(this.fromVocabulary);
      this.fromVocabulary = m;
    }
    this.fromVocabulary[v] = id + 1;
    return id;
  }

  private nameOf(ids: Int32Array, start: number, n: number): string {
    const parts: string[] = [];
    for (let k = 0; k < n; k++) parts.push(this.apiNames[ids[start + k]]);
    return stringFeatureName(
      API_CALL_KEY,
      parts.join('_'),
      'space',
      this.native.sample_weight,
      this.native.global_weight,
    );
  }

  private newFeature(ids: Int32Array, start: number, n: number): number {
    // one key per distinct (sanitised) n-gram: the name is new unless a datum made it first;
    // then it is named lazily from its ids (no string per new n-gram while training)
    if (this.hashMaxSize === undefined && this.dictionary.onlyAppended && !this.separatorInNames) {
      const f = this.dictionary.append();
      this.rememberIds(f, ids, start, n);
      return f;
    }
    const name = this.nameOf(ids, start, n);
    if (this.hashMaxSize === undefined) return this.dictionary.add(name);
    return this.dictionary.add(hashedName(name, this.hashMaxSize), name);
  }

  /** Keeps the ids of lazily named feature f: pool[offset[f]] = n, then the n ids. */
  private rememberIds(f: number, ids: Int32Array, start: number, n: number): void {
    if (f >= this.pendingOffset.length) {
      const o = new Int32Array(Math.max(f + 1, this.pendingOffset.length * 2)).fill(-1);
      o.set(this.pendingOffset);
      this.pendingOffset = o;
    }
    if (this.poolLength + n + 1 > this.pool.length) {
      const p = new Int32Array(Math.max(this.poolLength + n + 1, this.pool.length * 2));
      p.set(this.pool);
      this.pool = p;
    }
    this.pendingOffset[f] = this.poolLength;
    this.pool[this.poolLength++] = n;
    for (let k = 0; k < n; k++) this.pool[this.poolLength++] = ids[start + k];
  }

  /** The name of a lazily appended feature (the dictionary's namer). */
  private lazyName(f: number): string {
    const at = this.pendingOffset[f];
    return this.nameOf(this.pool, at + 1, this.pool[at]);
  }

  /** Classify mode, n-gram not in the key index: the dictionary may still know it (a loaded model, datum training). */
  private findFeature(ids: Int32Array, start: number, n: number): number {
    const name = this.nameOf(ids, start, n);
    return (
      this.dictionary.get(this.hashMaxSize === undefined ? name : hashedName(name, this.hashMaxSize)) ?? -1
    );
  }

  /** The numeric key of the n-gram ids[start..start+n): (n−1) then the ids in base 2^bits; -1 if an id is too wide. */
  private keyOf(ids: Int32Array, start: number, n: number): number {
    let key = n - 1;
    for (let k = 0; k < n; k++) {
      const id = ids[start + k];
      if (id >= this.base) return -1;
      key = key * this.base + id;
    }
    return key;
  }

  /**
   * The slow path of `extract`: the n-gram is not in the key index (or does not fit a numeric
   * key). Creates the feature in train mode; in classify mode asks the dictionary (a loaded
   * model, features made from datums) and remembers misses. -1 when unknown. While every feature
   * of the dictionary came through this extractor (`onlyAppended`), each has its key here, so a
   * miss is final and no name is built.
   */
  private lookupSlow(ids: Int32Array, start: number, n: number, create: boolean, hash: number): number {
    for (let k = 0; k < n; k++) if (ids[start + k] < 0) return -1;
    const key = this.keyOf(ids, start, n);
    if (key < 0) {
      const wkey = Array.from(ids.subarray(start, start + n)).join(',');
      let f = this.wideIndex.get(wkey);
      if (f === undefined) {
        if (create) f = this.newFeature(ids, start, n);
        else f = this.dictionary.onlyAppended ? -1 : this.findFeature(ids, start, n);
        if (f < 0) return -1;
        this.wideIndex.set(wkey, f);
        this.claim(f);
      }
      return f;
    }
    let f: number;
    if (create) {
      f = this.newFeature(ids, start, n);
    } else {
      if (this.dictionary.onlyAppended) return -1;
      // remembered misses are valid only while the dictionary has not grown
      if (this.missesAtSize !== this.dictionary.size || this.misses.size >= MAX_MISSES) {
        this.misses.clear();
        this.missesAtSize = this.dictionary.size;
      }
      if (this.misses.find(key, hash) >= 0) return -1;
      f = this.findFeature(ids, start, n);
      if (f < 0) {
        this.misses.set(key, 1, hash);
        return -1;
      }
    }
    this.keyIndex.set(key, f, hash);
    this.claim(f);
    return f;
  }

  /**
   * The feature of one n-gram of raw API names, or -1; creates nothing. The lookup `extract`
   * does in classify mode, for callers that meet n-grams one at a time (the incremental scorer).
   */
  featureOfNgram(apis: readonly string[]): number {
    const n = apis.length;
    if (n < this.range.min || n > this.range.max) return -1;
    const ids = new Int32Array(n);
    let hash = Math.imul(n, 0x9e3779b1); // as in `extract`
    for (let k = 0; k < n; k++) {
      const id = this.internApi(apis[k], false);
      if (id < 0) return -1;
      ids[k] = id;
      hash = Math.imul(hash ^ id, 0x85ebca6b);
      hash ^= hash >>> 13;
    }
    const key = this.keyOf(ids, 0, n);
    const f = key < 0 ? EMPTY : this.keyIndex.find(key, hash);
    return f !== EMPTY ? f : this.lookupSlow(ids, 0, n, false, hash);
  }

  /** Records that an n-gram key maps to feature f (two keys on one feature: counts merge by feature). */
  private claim(f: number): void {
    if (f >= this.keyed.length) this.growByFeature(this.dictionary.size);
    if (this.keyed[f] === 1) this.sharedFeatures = true;
    this.keyed[f] = 1;
  }

  /**
   * Extracts the features of one trace into `x` (index, weighted value, first-occurrence order). In train mode
   * (`create`) new n-grams become features and document frequencies are counted; in classify
   * mode unknown n-grams are only counted in `unknownNgrams`. Returns the number of entries.
   *
   * Each distinct n-gram of the trace gets a position (first-occurrence order) whose feature
   * and tally live in dense arrays; the key index's slot (the cache line the probe just read)
   * keeps the mark epoch + 1 + position, so the per-call work touches one random cache line and
   * no branch depends on whether the n-gram is new to the trace. A feature reached by two keys
   * (a hashed feature space, or a name a datum made) is merged by feature afterwards: tf is
   * always per feature, in the order features first occur.
   */
  extract(trace: Trace, create: boolean, x: SparseVector): number {
    x.length = 0;
    this.unknownNgrams = 0;
    this.startEpoch(trace);
    const epoch = this.epoch;
    let nTouched = 0;
    for (const p of trace.processes) {
      const len = this.sequence(p, create);
      const ids = this.ids;
      const base = this.base;
      for (let n = this.range.min; n <= this.range.max; n++) {
        const index = this.keyIndex;
        let keys = index.keys;
        let cells = index.cells;
        let mask = index.mask;
        if (nTouched + len > this.positionTally.length) this.growPositions(nTouched + len);
        const positionFeature = this.positionFeature;
        const positionTally = this.positionTally;
        for (let i = 0; i + n <= len; i++) {
          // key and hash of the n-gram, then an inline probe of the key index
          let key = n - 1;
          let hash = Math.imul(n, 0x9e3779b1);
          let fits = true;
          for (let k = 0; k < n; k++) {
            const id = ids[i + k];
            if (id >>> 0 >= base) fits = false; // unknown (-1) or too wide for the numeric key
            key = key * base + id;
            hash = Math.imul(hash ^ id, 0x85ebca6b);
            hash ^= hash >>> 13;
          }
          let slot = hash & mask;
          let f = EMPTY;
          while (fits) {
            f = cells[4 * slot + 2];
            if (f === EMPTY || keys[2 * slot] === key) break;
            slot = (slot + 1) & mask;
          }
          let mark: number;
          if (f === EMPTY) {
            f = this.lookupSlow(ids, i, n, create, hash);
            if (f < 0) {
              this.unknownNgrams++;
              continue;
            }
            if (!fits) {
              if (f >= this.wideMarks.length) this.growByFeature(this.dictionary.size);
              mark = this.wideMarks[f];
              const seen = (epoch - mark) >>> 31;
              const position = nTouched + seen * (mark - epoch - 1 - nTouched);
              this.wideMarks[f] = epoch + 1 + position;
              positionFeature[position] = f;
              positionTally[position]++;
              nTouched += 1 - seen;
              continue;
            }
            // the key index may have grown (marks move with their entries)
            keys = index.keys;
            cells = index.cells;
            mask = index.mask;
            slot = index.slotOf(key, hash);
          }
          // branch-free: a mispredicted "new in this trace?" branch would stall the probes in flight
          mark = cells[4 * slot + 3];
          const seen = (epoch - mark) >>> 31; // 1 when mark > epoch
          const position = nTouched + seen * (mark - epoch - 1 - nTouched);
          cells[4 * slot + 3] = epoch + 1 + position;
          positionFeature[position] = f;
          positionTally[position]++;
          nTouched += 1 - seen;
        }
      }
    }
    this.epoch += nTouched;
    return this.emit(nTouched, create, x);
  }

  /** Makes sure the trace's positions fit above the epoch (int32 marks); clears every mark when not. */
  private startEpoch(trace: Trace): void {
    let bound = 0;
    const perCall = (this.range.max - this.range.min + 1) * (this.policy === 'expand' ? this.cap : 1);
    for (const p of trace.processes) bound += p.calls.length * perCall;
    if (this.epoch + bound < 0x7fffffff) return;
    this.keyIndex.clearScratch();
    this.wideMarks.fill(0);
    this.epoch = 0;
  }

  /** Makes room for `n` positions (a process adds at most one per call and n). */
  private growPositions(n: number): void {
    let cap = this.positionTally.length;
    while (cap < n) cap *= 2;
    const f = new Int32Array(cap);
    f.set(this.positionFeature);
    this.positionFeature = f;
    const t = new Int32Array(cap);
    t.set(this.positionTally);
    this.positionTally = t;
  }

  /** Turns the tallies of the trace's positions into `x` (clearing them); merges by feature when keys share one. */
  private emit(nTouched: number, create: boolean, x: SparseVector): number {
    const positionFeature = this.positionFeature;
    const positionTally = this.positionTally;
    const freq = this.dictionary.frequency;
    let n = nTouched;
    if (this.sharedFeatures) {
      // every feature a key maps to is below keyed.length (claim); merged is all zeros between traces
      if (this.merged.length < this.keyed.length) this.merged = new Uint32Array(this.keyed.length);
      const merged = this.merged;
      // compacts the positions in place into distinct features (the write index never passes the read index)
      n = 0;
      for (let k = 0; k < nTouched; k++) {
        const f = positionFeature[k];
        if (merged[f] === 0) positionFeature[n++] = f;
        merged[f] += positionTally[k];
        positionTally[k] = 0;
      }
      for (let k = 0; k < n; k++) {
        const f = positionFeature[k];
        positionTally[k] = merged[f];
        merged[f] = 0;
      }
    }
    // No double crosses a call in this loop: one passed to or returned from a call V8 does not
    // inline is boxed, a heap number per entry. So the values go straight into x (room made
    // first, not pushEntry), and the weights are table reads (logTf's result was boxed).
    // x.length is set before the loop, so nothing but the return follows it: code after a hot
    // loop can lack type feedback when V8 first compiles the loop mid-run, and then deoptimized
    // there on every call (--trace-deopt: 408-546 times per 1,000 calls in 4 of 15 processes).
    reserve(x, n);
    const idx = x.idx;
    const val = x.val;
    const start = x.length;
    x.length = start + n;
    const tfWeights = this.tfWeights;
    for (let k = 0; k < n; k++) {
      const f = positionFeature[k];
      const tf = positionTally[k];
      positionTally[k] = 0;
      if (create) freq[f]++;
      idx[start + k] = f;
      if (tf < tfWeights.length) {
        if (tfWeights[tf] === 0) this.rememberTfWeight(tf);
        val[start + k] = tfWeights[tf];
      } else this.storeTfWeight(val, start + k, tf);
    }
    return n;
  }

  /** Fills tfWeights[tf] (tf below its length) with the sample weight of tf. */
  private rememberTfWeight(tf: number): void {
    this.tfWeights[tf] = sampleWeight(this.native.sample_weight, tf);
  }

  /** val[at] = the sample weight of a tf too large for the table. */
  private storeTfWeight(val: Float64Array, at: number, tf: number): void {
    val[at] = sampleWeight(this.native.sample_weight, tf);
  }

  /** Grows the by-feature arrays (`wideMarks`, `keyed`) past index n. */
  private growByFeature(n: number): void {
    let cap = this.wideMarks.length;
    while (cap <= n) cap *= 2;
    const c = new Int32Array(cap);
    c.set(this.wideMarks);
    this.wideMarks = c;
    const k = new Uint8Array(cap);
    k.set(this.keyed);
    this.keyed = k;
  }

  /** Fills `ids` with the API ids of one process; returns the length. */
  private sequence(p: ProcessTrace, create: boolean): number {
    const calls = p.calls;
    if (this.ids.length < calls.length)
      this.ids = new Int32Array(Math.max(calls.length, this.ids.length * 2));
    let len = 0;
    if (this.policy === 'keep') {
      const ids = this.ids;
      const interned = p.interned?.vocabulary === apiVocabulary.token ? p.interned.ids : undefined;
      if (interned !== undefined && interned.length === calls.length) {
        const map = this.fromVocabulary;
        for (let i = 0; i < interned.length; i++) {
          const v = interned[i];
          const id = v < map.length ? map[v] - 1 : -1;
          ids[i] = id >= 0 ? id : this.fromVocabularyId(v, create);
        }
        return interned.length;
      }
      for (let i = 0; i < calls.length; i++) ids[len++] = this.internApi(calls[i].api, create);
      return len;
    }
    forEachRecord(p, this.policy, this.cap, (c) => {
      if (len === this.ids.length) {
        const b = new Int32Array(this.ids.length * 2);
        b.set(this.ids);
        this.ids = b;
      }
      this.ids[len++] = this.internApi(c.api, create);
    });
    return len;
  }
}
