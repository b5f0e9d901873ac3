// The model container implementing `Model` (model-api.ts): a Jubatus-compatible classifier
// config, the converter's document statistics, the feature dictionary and the weight table of
// one online learner, plus the label counter, MIX bookkeeping and optional feature bounds.
//
// Traces: with a `malgram` block, the native API-sequence rule (src/features/api-ngrams.ts);
// without one (a plain Jubatus config), a trace becomes the datum `api_call` = its API 3-grams,
// space-separated, converted by the config's own converter — exactly how the Jubatus golden
// vectors were made. Datums (the RPC endpoint) always go through the config's converter.
//
// Bounds: `maxFeatures` prunes in batches (when the dictionary exceeds the bound by a quarter)
// the features with the smallest max-over-labels |weight|, ties broken by lower document
// frequency; `converter.hash_max_size` (`--hash-bits`) hashes feature names as Jubatus does.
import type { Datum, FeatureVector } from '../core/datum.js';
import { InputError } from '../core/errors.js';
import type { Trace } from '../core/trace.js';
import { contributions, type FeatureEvidence, rankTwo } from '../explain/contributions.js';
import {
  ApiNgramExtractor,
  fastPathApplies,
  nativeStringRules,
  ngramFeatureName,
  traceToDatum,
} from '../features/api-ngrams.js';
import {
  type ClassifierConfig,
  canonicalMethod,
  type NativeConfig,
  parseConfig,
} from '../features/config.js';
import { DatumConverter, sortAndMerge } from '../features/converter.js';
import { FeatureDictionary } from '../features/dictionary.js';
import { hashedName } from '../features/fnv1.js';
import { SpaceDatumIndex } from '../features/space-datum-index.js';
import { pushEntry, type SparseVector, sparseVector } from '../features/sparse-vector.js';
import { WeightManager } from '../features/weight-manager.js';
import { decodeJubatusFile, isJubatusFile, isJubatusPath, writeJubatusFile } from './jubatus-file.js';
import type { LinearClassifier } from './linear-classifier.js';
import { createLearner } from './methods.js';
import type {
  AlertThreshold,
  Classification,
  DumpEntry,
  Explanation,
  Model,
  ModelDiff,
  Scores,
} from './model-api.js';
import {
  decodeModelFile,
  encodeModelFile,
  type ModelState,
  readModelBytes,
  writeModelFile,
} from './model-file.js';

export type { ClassifierConfig } from '../features/config.js';
export { configFromFlags } from '../features/config.js';

export interface ModelOptions {
  /** Keep at most this many features (pruned in batches). */
  maxFeatures?: number;
}

/** Feature → label → [weight, covariance] for every existing cell. */
type Cells = Map<string, Map<string, [number, number]>>;

/** The columns `cellsOf` reads: a live label column or one decoded from a model file. */
interface CellColumns {
  readonly name: string;
  readonly w: ArrayLike<number>;
  readonly cov: ArrayLike<number>;
  readonly has: ArrayLike<number>;
}

/** Every existing cell of features 0..size−1 (covariance 0 for the methods without one). */
function cellsOf(
  size: number,
  nameOf: (i: number) => string,
  columns: readonly CellColumns[],
  withCovariance: boolean,
): Cells {
  const out: Cells = new Map();
  for (let i = 0; i < size; i++) {
    let row: Map<string, [number, number]> | undefined;
    for (const col of columns) {
      if (!col.has[i]) continue;
      row ??= new Map();
      row.set(col.name, [col.w[i], withCovariance ? col.cov[i] : 0]);
    }
    if (row) out.set(nameOf(i), row);
  }
  return out;
}

/** The state at the last MIX (the diff is relative to it); absent = an empty model. */
interface MixBase {
  /** Built when MIX first needs it: a loaded model that is only used to classify never does. */
  weights: () => Cells;
  labelCounts: Map<string, number>;
  documentCount: number;
  documentFrequencies: Map<string, number>;
  groupFrequencies: Map<string, number>;
  groupTotalLengths: Map<string, number>;
}

const EMPTY_DIFF_VALUE: [number, number] = [0, 0];

export class OnlineModel implements Model {
  readonly configJson: string;
  readonly config: ClassifierConfig;
  readonly method: string;
  readonly options: ModelOptions;
  readonly dictionary = new FeatureDictionary();
  private learner: LinearClassifier;
  private readonly datumConverter: DatumConverter;
  private readonly traceConverter: DatumConverter;
  readonly native: NativeConfig | undefined;
  readonly weights: WeightManager;
  private readonly extractor: ApiNgramExtractor | undefined;
  /** Datum classification without building feature names (single `space` rule, bin, no hashing). */
  private readonly datumIndex: SpaceDatumIndex | undefined;
  private readonly counts = new Map<string, number>();
  private readonly x: SparseVector = sparseVector(1024);
  private samples = 0;
  private updatesSinceMix = 0;
  private base: MixBase | undefined;
  version = 0;
  /** Features removed by `maxFeatures` so far. */
  prunedFeatures = 0;
  /** The alert threshold `train` chose for `watch` (kept in malgram model files). */
  alertThreshold?: AlertThreshold;
  readonly hashMaxSize: number | undefined;

  constructor(config: ClassifierConfig | string, options: ModelOptions = {}) {
    this.configJson = typeof config === 'string' ? config : JSON.stringify(config);
    this.config = parseConfig(config);
    this.method = canonicalMethod(this.config.method);
    this.options = options;
    if (
      options.maxFeatures !== undefined &&
      !(Number.isInteger(options.maxFeatures) && options.maxFeatures > 0)
    ) {
      throw new InputError('must be a positive integer', 'max-features');
    }
    this.learner = createLearner(this.config);
    this.datumConverter = new DatumConverter(this.config.converter);
    this.native = this.config.malgram;
    this.hashMaxSize = this.config.converter.hash_max_size;
    this.traceConverter = this.native
      ? new DatumConverter(
          { string_rules: nativeStringRules(this.native), hash_max_size: this.hashMaxSize },
          'malgram',
        )
      : this.datumConverter;
    const counts = this.datumConverter.countsDocuments || this.traceConverter.countsDocuments;
    const bm25 = this.datumConverter.usesBm25 || this.traceConverter.usesBm25;
    this.weights = new WeightManager(counts, bm25);
    this.extractor =
      this.native && fastPathApplies(this.native)
        ? new ApiNgramExtractor(this.native, this.dictionary, this.hashMaxSize)
        : undefined;
    const spaceRule = this.datumConverter.plainSpaceRule;
    this.datumIndex = spaceRule ? new SpaceDatumIndex(spaceRule, this.dictionary) : undefined;
  }

  // ---- labels -------------------------------------------------------------------------

  labels(): string[] {
    return this.learner.table.labels.map((c) => c.name);
  }
  labelCounts(): Map<string, number> {
    return new Map(this.counts);
  }
  sampleCount(): number {
    return this.samples;
  }
  numFeatures(): number {
    return this.dictionary.size;
  }
  /** Whether v2 of a cell is a covariance (CW/AROW/NHERD). */
  get hasCovariance(): boolean {
    return this.learner.hasCovariance;
  }

  setLabel(label: string): boolean {
    checkLabel(label);
    const inTable = this.learner.table.get(label) !== undefined;
    const inCounts = this.counts.has(label);
    this.learner.table.register(label);
    if (!inCounts) this.counts.set(label, 0);
    return !inTable && !inCounts;
  }

  deleteLabel(label: string): boolean {
    const a = this.learner.table.delete(label);
    const b = this.counts.delete(label);
    return a || b;
  }

  clear(): void {
    this.learner = createLearner(this.config);
    this.dictionary.clear();
    this.extractor?.reset();
    this.weights.clear();
    this.counts.clear();
    this.samples = 0;
    this.alertThreshold = undefined;
  }

  // ---- conversion ---------------------------------------------------------------------

  /** The datum a trace stands for (see the header). */
  traceDatum(trace: Trace): Datum {
    if (this.native) return traceToDatum(trace, this.native);
    return traceToDatum(trace, { ngram: 3, sample_weight: 'bin', global_weight: 'bin' });
  }

  convert(trace: Trace): FeatureVector {
    return this.traceConverter.convert(this.traceDatum(trace), this.weights, false);
  }

  /** Converts a datum with the config's converter (no statistics update). */
  convertDatum(datum: Datum): FeatureVector {
    return this.datumConverter.convert(datum, this.weights, false);
  }

  /** Fills this.x from a named vector; train creates features, classify skips unknown ones. */
  private vectorOf(fv: FeatureVector, create: boolean): SparseVector {
    const x = this.x;
    x.length = 0;
    for (const [name, value] of fv) {
      const i = create ? this.dictionary.add(name) : this.dictionary.get(name);
      if (i === undefined) continue;
      if (create) this.dictionary.frequency[i]++;
      pushEntry(x, i, value);
    }
    return x;
  }

  // ---- training -----------------------------------------------------------------------

  /** One update with an already converted, sorted and merged vector (what Jubatus's classifier sees). */
  trainVector(fv: FeatureVector, label: string): void {
    checkLabel(label);
    const x = this.vectorOf(fv, true);
    this.learnX(x, label);
  }

  private learnX(x: SparseVector, label: string): void {
    this.counts.set(label, (this.counts.get(label) ?? 0) + 1);
    this.samples++;
    this.updatesSinceMix++;
    this.learner.table.ensureFeatures(this.dictionary.size);
    this.learner.learn(x, label);
    this.maybePrune();
  }

  train(trace: Trace, label: string): void {
    checkLabel(label);
    if (this.extractor) {
      this.extractor.extract(trace, true, this.x);
      this.learnX(this.x, label);
      return;
    }
    this.trainConverted(this.traceConverter.convert(this.traceDatum(trace), this.weights, true), label);
  }

  trainDatum(datum: Datum, label: string): void {
    checkLabel(label);
    this.trainConverted(this.datumConverter.convert(datum, this.weights, true), label);
  }

  private trainConverted(fv: FeatureVector, label: string): void {
    const x = this.vectorOf(sortAndMerge(fv), true);
    this.learnX(x, label);
  }

  // ---- classification -----------------------------------------------------------------

  private classifyX(x: SparseVector, empty: boolean): Classification {
    const scores: Scores = this.learner.predict(x);
    const { predicted } = rankTwo(scores);
    return { predicted, scores, empty };
  }

  /** Scores of an already converted vector, summed in its entry order (unknown features skipped). */
  classifyVector(fv: FeatureVector): Classification {
    return this.classifyX(this.vectorOf(fv, false), fv.length === 0);
  }

  classify(trace: Trace): Classification {
    if (this.extractor) {
      const x = this.x;
      this.extractor.extract(trace, false, x);
      return this.classifyX(x, x.length === 0 && this.extractor.unknownNgrams === 0);
    }
    return this.classifyVector(this.convert(trace));
  }

  classifyDatum(datum: Datum): Classification {
    if (this.datumIndex) {
      const empty = this.datumIndex.vector(datum, this.x);
      return this.classifyX(this.x, empty);
    }
    return this.classifyVector(this.convertDatum(datum));
  }

  explain(trace: Trace, top = 20): Explanation {
    return this.explainVector(this.convert(trace), top);
  }

  /** Explanation of an already converted vector. */
  explainVector(fv: FeatureVector, top = 20): Explanation {
    const c = this.classifyVector(fv);
    const { runnerUp } = rankTwo(c.scores);
    const evidence: FeatureEvidence[] = [];
    for (const [name, value] of fv) {
      const i = this.dictionary.get(name);
      const weights = new Map<string, number>();
      if (i !== undefined)
        for (const col of this.learner.table.labels) if (col.has[i]) weights.set(col.name, col.w[i]);
      evidence.push({ feature: i === undefined ? name : this.dictionary.shownName(i), value, weights });
    }
    return { ...c, runnerUp, contributions: contributions(evidence, c.predicted, runnerUp, top) };
  }

  // ---- inspection ---------------------------------------------------------------------

  featureWeights(feature: string): Map<string, number> | undefined {
    const name =
      this.hashMaxSize === undefined || /^\d+$/.test(feature)
        ? feature
        : hashedName(feature, this.hashMaxSize);
    const i = this.dictionary.get(name);
    return i === undefined ? undefined : this.weightsOf(i);
  }

  ngramWeights(apis: readonly string[]): Map<string, number> | undefined {
    if (!this.extractor) {
      const native = this.config.malgram;
      return native ? this.featureWeights(ngramFeatureName(apis, native)) : undefined;
    }
    const i = this.extractor.featureOfNgram(apis);
    return i < 0 ? undefined : this.weightsOf(i);
  }

  /** Weight of feature i for every label that has a cell. */
  private weightsOf(i: number): Map<string, number> {
    const out = new Map<string, number>();
    for (const col of this.learner.table.labels) if (col.has[i]) out.set(col.name, col.w[i]);
    return out;
  }

  /** Every existing cell: feature → label → [weight, covariance] (covariance 0 for non-covariance methods). */
  cells(): Cells {
    return cellsOf(
      this.dictionary.size,
      (i) => this.dictionary.name(i),
      this.learner.table.labels,
      this.learner.hasCovariance,
    );
  }

  dump(label: string, top: number, bottom = false): DumpEntry[] {
    const col = this.learner.table.get(label);
    if (!col) return [];
    const idx: number[] = [];
    for (let i = 0; i < this.dictionary.size; i++) if (col.has[i]) idx.push(i);
    idx.sort((a, b) => (bottom ? col.w[a] - col.w[b] : col.w[b] - col.w[a]));
    return idx.slice(0, Math.max(0, top)).map((i) => {
      const e: DumpEntry = { feature: this.dictionary.shownName(i), weight: col.w[i] };
      if (this.learner.hasCovariance) e.covariance = col.cov[i];
      return e;
    });
  }

  // ---- bounded models -----------------------------------------------------------------

  private maybePrune(): void {
    const max = this.options.maxFeatures;
    if (max === undefined) return;
    const batch = Math.max(16, Math.ceil(max / 4));
    if (this.dictionary.size <= max + batch) return;
    this.prune(max);
  }

  /** Keeps the `max` most useful features (largest max-over-labels |w|, then document frequency). */
  prune(max: number): number {
    const n = this.dictionary.size;
    if (n <= max) return 0;
    const labels = this.learner.table.labels;
    const use = new Float64Array(n);
    for (const col of labels) for (let i = 0; i < n; i++) use[i] = Math.max(use[i], Math.abs(col.w[i]));
    const freq = this.dictionary.frequency;
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => use[b] - use[a] || freq[b] - freq[a] || a - b);
    const keep = Int32Array.from(order.slice(0, max)).sort();
    const map = new Int32Array(n).fill(-1);
    keep.forEach((old, k) => {
      map[old] = k;
    });
    for (let i = 0; i < n; i++)
      if (map[i] < 0 && this.weights.counts) this.weights.documentFrequencies.delete(this.dictionary.name(i));
    this.learner.table.compact(keep);
    this.dictionary.compact(keep);
    this.extractor?.remap(map);
    const dropped = n - max;
    this.prunedFeatures += dropped;
    return dropped;
  }

  // ---- MIX (jubatus-reference.md §4.4–4.5) -------------------------------------------

  diff(): ModelDiff {
    const base = this.base;
    const baseWeights = base?.weights();
    const weights = new Map<string, Map<string, [number, number, number]>>();
    for (const [feature, row] of this.cells()) {
      const baseRow = baseWeights?.get(feature);
      let out: Map<string, [number, number, number]> | undefined;
      for (const [label, [w, c]] of row) {
        const [bw, bc] = baseRow?.get(label) ?? EMPTY_DIFF_VALUE;
        if (w === bw && c === bc && baseRow?.has(label)) continue;
        out ??= new Map();
        out.set(label, [w - bw, c - bc, 0]);
      }
      if (out) weights.set(feature, out);
    }
    const labelCounts = new Map<string, number>();
    for (const [l, n] of this.counts) {
      const d = n - (base?.labelCounts.get(l) ?? 0);
      if (d !== 0) labelCounts.set(l, d);
    }
    return {
      baseVersion: this.version,
      weights,
      labelCounts,
      documentCount: this.weights.documentCount - (base?.documentCount ?? 0),
      documentFrequencies: mapDelta(this.weights.documentFrequencies, base?.documentFrequencies),
      groupFrequencies: mapDelta(this.weights.groupFrequencies, base?.groupFrequencies),
      groupTotalLengths: mapDelta(this.weights.groupTotalLengths, base?.groupTotalLengths),
      updates: this.updatesSinceMix,
    };
  }

  /** Replaces the local state by base + mixed and makes it the new base; refused on a version mismatch. */
  applyMixed(mixed: ModelDiff): void {
    if (mixed.baseVersion !== this.version) {
      throw new InputError(
        `mixed diff is for version ${mixed.baseVersion}, model is at ${this.version}`,
        'mix',
      );
    }
    const base = this.base;
    const baseWeights = base?.weights();
    const table = this.learner.table;
    // drop local progress: every cell back to its base value
    for (let i = 0; i < this.dictionary.size; i++) {
      const baseRow = baseWeights?.get(this.dictionary.name(i));
      for (const col of table.labels) {
        if (!col.has[i]) continue;
        const b = baseRow?.get(col.name);
        col.w[i] = b ? b[0] : 0;
        col.cov[i] = b ? b[1] : table.covInit;
        col.has[i] = b ? 1 : 0;
      }
    }
    for (const [feature, row] of mixed.weights) {
      const i = this.dictionary.add(feature);
      table.ensureFeatures(this.dictionary.size);
      const baseRow = baseWeights?.get(feature);
      for (const [label, [d1, d2]] of row) {
        const col = table.register(label);
        const [bw, bc] = baseRow?.get(label) ?? EMPTY_DIFF_VALUE;
        col.w[i] = bw + d1;
        col.cov[i] = bc + d2;
        col.has[i] = 1;
      }
    }
    const counts = new Map(base?.labelCounts ?? []);
    for (const [l, d] of mixed.labelCounts) counts.set(l, (counts.get(l) ?? 0) + d);
    for (const l of [...this.counts.keys()]) if (!counts.has(l)) this.counts.delete(l);
    for (const [l, n] of counts) this.counts.set(l, n);
    // The mixed model has seen every worker's samples: one per label count, as Jubatus counts.
    this.samples = 0;
    for (const n of this.counts.values()) this.samples += n;
    const wm = this.weights;
    wm.documentCount = (base?.documentCount ?? 0) + mixed.documentCount;
    wm.documentFrequencies = mapSum(base?.documentFrequencies, mixed.documentFrequencies);
    wm.groupFrequencies = mapSum(base?.groupFrequencies, mixed.groupFrequencies);
    wm.groupTotalLengths = mapSum(base?.groupTotalLengths, mixed.groupTotalLengths);
    this.version++;
    this.updatesSinceMix = 0;
    const mixedCells = this.cells();
    this.base = {
      weights: () => mixedCells,
      labelCounts: new Map(this.counts),
      documentCount: wm.documentCount,
      documentFrequencies: new Map(wm.documentFrequencies),
      groupFrequencies: new Map(wm.groupFrequencies),
      groupTotalLengths: new Map(wm.groupTotalLengths),
    };
  }

  // ---- persistence --------------------------------------------------------------------

  toState(): ModelState {
    const n = this.dictionary.size;
    return {
      configJson: this.configJson,
      options: this.options,
      labels: this.learner.table.labels.map((c) => ({
        name: c.name,
        w: c.w.slice(0, n),
        cov: c.cov.slice(0, n),
        has: c.has.slice(0, n),
        aux: c.aux?.slice(0, n),
      })),
      labelCounts: [...this.counts],
      features: this.dictionary.allNames(),
      display: [...this.dictionary.display],
      frequency: this.dictionary.frequency.slice(0, n),
      sampleCount: this.samples,
      version: this.version,
      prunedFeatures: this.prunedFeatures,
      documentCount: this.weights.documentCount,
      documentFrequencies: [...this.weights.documentFrequencies],
      groupFrequencies: [...this.weights.groupFrequencies],
      groupTotalLengths: [...this.weights.groupTotalLengths],
      ...(this.alertThreshold ? { alertThreshold: this.alertThreshold } : {}),
    };
  }

  static fromState(s: ModelState): OnlineModel {
    const m = new OnlineModel(s.configJson, s.options);
    s.features.forEach((name, i) => {
      m.dictionary.add(name);
      m.dictionary.frequency[i] = s.frequency[i] ?? 0;
    });
    for (const [i, d] of s.display) m.dictionary.display.set(i, d);
    const table = m.learner.table;
    table.ensureFeatures(s.features.length);
    for (const l of s.labels) {
      const col = table.register(l.name);
      col.w.set(l.w);
      col.cov.set(l.cov);
      col.has.set(l.has);
      if (l.aux && col.aux) col.aux.set(l.aux);
    }
    for (const [l, n] of s.labelCounts) m.counts.set(l, n);
    m.samples = s.sampleCount;
    m.version = s.version;
    m.prunedFeatures = s.prunedFeatures;
    if (s.alertThreshold) m.alertThreshold = s.alertThreshold;
    m.weights.documentCount = s.documentCount;
    m.weights.documentFrequencies = new Map(s.documentFrequencies);
    m.weights.groupFrequencies = new Map(s.groupFrequencies);
    m.weights.groupTotalLengths = new Map(s.groupTotalLengths);
    // A loaded model is its own MIX base: diff() is the change since it was loaded (cluster workers
    // load published versions and mix from there). Its cells come from the decoded file, which
    // nothing changes (the table holds copies), when MIX first asks.
    let baseCells: Cells | undefined;
    m.base = {
      weights: () => {
        baseCells ??= cellsOf(s.features.length, (i) => s.features[i], s.labels, m.learner.hasCovariance);
        return baseCells;
      },
      labelCounts: new Map(m.counts),
      documentCount: m.weights.documentCount,
      documentFrequencies: new Map(m.weights.documentFrequencies),
      groupFrequencies: new Map(m.weights.groupFrequencies),
      groupTotalLengths: new Map(m.weights.groupTotalLengths),
    };
    return m;
  }

  /**
   * Writes the model file: Jubatus's format when the name ends in `.jubatus` (jubatus-file.ts),
   * else malgram's. `as` is the final name when `path` is a temporary one (it decides the format).
   */
  save(path: string, as = path): void {
    if (isJubatusPath(as)) writeJubatusFile(path, this.toState(), as);
    else writeModelFile(path, this.toState());
  }

  /** The malgram model file bytes (what `save` writes to a path not ending in `.jubatus`). */
  toBytes(): Uint8Array {
    return encodeModelFile(this.toState());
  }
}

function checkLabel(label: string): void {
  if (typeof label !== 'string' || label === '')
    throw new InputError('a label must be a non-empty string', 'label');
}

function mapDelta(now: Map<string, number>, base?: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of now) {
    const d = v - (base?.get(k) ?? 0);
    if (d !== 0) out.set(k, d);
  }
  return out;
}
function mapSum(base: Map<string, number> | undefined, delta: Map<string, number>): Map<string, number> {
  const out = new Map(base ?? []);
  for (const [k, d] of delta) out.set(k, (out.get(k) ?? 0) + d);
  return out;
}

/** A new, empty model for a config (object or JSON text). */
export function createModel(config: ClassifierConfig | string, options: ModelOptions = {}): OnlineModel {
  return new OnlineModel(config, options);
}

/** The state in a malgram or a Jubatus model file, told apart by the magic. */
function decodeAnyModelFile(bytes: Uint8Array, where: string): ModelState {
  return isJubatusFile(bytes) ? decodeJubatusFile(bytes, where) : decodeModelFile(bytes, where);
}

/**
 * Loads a model file, malgram's or Jubatus's (detected by the magic); a corrupt, truncated or
 * newer-version file is refused with an InputError.
 */
export function loadModel(path: string): OnlineModel {
  return OnlineModel.fromState(decodeAnyModelFile(readModelBytes(path), path));
}

/** Loads a model from the bytes of a model file of either format (`where` names it in errors). */
export function modelFromBytes(bytes: Uint8Array, where = 'model'): OnlineModel {
  return OnlineModel.fromState(decodeAnyModelFile(bytes, where));
}
