// Incremental scoring: the detector's hot path.
//
// A linear model scores a sample as score(L) = Σ_f x_f · w[f][L], where for an API n-gram feature
// x_f = sw(tf_f) · g_f (jubatus-reference.md §2.5: sample weight bin → 1, tf → tf, log_tf → ln(1+tf);
// global weight g_f frozen at classify time). When a process makes one more call, only the n-grams
// ending at that call change their tf (tf → tf+1), so only their contributions change:
//   Δx_f = sw(tf+1) − sw(tf):  bin → 1 on the first occurrence, else 0;  tf → 1;
//                              log_tf → ln(2+tf) − ln(1+tf) = ln(1 + 1/(1+tf)).
// score(L) += Δx_f · (g_f · w[f][L]) for every label, kept as a compensated (Neumaier) sum so
// millions of small steps stay within a few ulps of the batch sum. After k calls the score equals
// `model.classify` of the process's first k calls (test/detect/incremental.test.ts checks every prefix).
//
// Global weights: `bin`, `idf`, `idf1` are per-feature constants while classifying (the model's
// document statistics are frozen, so g_f is read once per n-gram and cached with the weights).
// `bm25` makes every value depend on the whole vector's length, so it cannot be updated locally:
// such models are refused by `watch` (train with bin/idf/idf1 for real-time use).
//
// Per-n-gram weights are looked up once and kept: n-gram key → slot (an open-addressing table
// over numeric keys, so the hot path allocates nothing), slot → g_f·w[f][L] in a flat
// Float64Array in label order. N-grams the model gives no weight get no slot, are remembered as
// unknown (a bounded negative cache, cleared when full) and are not even counted. Keys: API ids
// are 16-bit (state.ts); n ≤ 3 packs the ids into one number (id_1·2^32 + id_2·2^16 + id_3, unique
// across lengths since ids ≥ 1); longer n-grams use a string of the ids as UTF-16 code units.
// Per unit, counts are kept per slot (state.ts SlotCounter).
import { InputError } from '../core/errors.js';
import type { Model } from '../learn/model-api.js';
import { NgramSlots } from './ngram-slots.js';
import { type ApiInterner, OVERFLOW_ID, type ProcessState, type ScoreUnit } from './state.js';

export type SampleWeight = 'bin' | 'tf' | 'log_tf';

/** How the model turns API n-grams into features (from its converter config). */
export interface NgramFeatureSpec {
  /** N-gram lengths used, e.g. [3] or [3, 4, 5]. */
  ns: number[];
  sampleWeight: SampleWeight;
  /** Feature name of an n-gram of API names. */
  featureName(apis: readonly string[]): string;
  /** Global weight of a feature, frozen while classifying; absent for `bin` (g = 1). */
  globalWeight?: (name: string) => number;
}

/** Largest number of remembered unknown n-grams before that cache is cleared. */
export const MAX_UNKNOWN_CACHE = 1 << 20;
const UNKNOWN = -2;

/** The log_tf step ln(1 + 1/(1 + tf)) for tf < LOG_STEPS, computed once (the same doubles as Math.log1p). */
const LOG_STEPS = 1024;
const LOG_STEP = Float64Array.from({ length: LOG_STEPS }, (_, tf) => Math.log1p(1 / (1 + tf)));

const TWO16 = 65536;
const TWO32 = 65536 * 65536;

export interface NgramContribution {
  ngram: string[];
  feature: string;
  count: number;
  /** x_f · (w[f][positive] − w[f][other]): how much this n-gram pushed towards the positive label. */
  contribution: number;
}

export class IncrementalScorer {
  readonly labels: string[];
  /** Length of the per-process window: the longest n minus 1. */
  readonly windowLength: number;
  private readonly ns: number[];
  private readonly numericKeys: boolean;
  private readonly labelCount: number;
  /** Numeric n-gram key → slot, or UNKNOWN. */
  private numericSlots = new NgramSlots(1 << 14);
  /** String n-gram key → slot, or UNKNOWN (n > 3). */
  private readonly stringSlots = new Map<string, number>();
  /** Keys of the slots (for explanations and for rebuilding the index). */
  private readonly slotKeys: Array<number | string> = [];
  /** g_f·w[f][L] of slot s at [s·labelCount + L]. */
  private slotWeights: Float64Array;
  private unknownCount = 0;
  private readonly sampleWeight: SampleWeight;
  /** Cap on distinct n-grams per unit (set by the detector from its limits). */
  maxNgrams = Number.POSITIVE_INFINITY;
  /** Number of times the unknown-n-gram cache was full and cleared. */
  cacheClears = 0;

  constructor(
    private readonly model: Model,
    private readonly spec: NgramFeatureSpec,
    readonly interner: ApiInterner,
  ) {
    this.labels = model.labels();
    this.labelCount = this.labels.length;
    this.ns = [...new Set(spec.ns)].sort((a, b) => a - b);
    if (this.ns.length === 0 || this.ns[0] < 1) throw new InputError('the model uses no API n-grams');
    this.windowLength = this.ns[this.ns.length - 1] - 1;
    this.numericKeys = this.windowLength <= 2;
    this.sampleWeight = spec.sampleWeight;
    this.slotWeights = new Float64Array(1024 * Math.max(1, this.labelCount));
  }

  /** Counts one call of `state`'s process (API id `id`) and updates its unit's scores. */
  observe(state: ProcessState, id: number): void {
    const window = state.window;
    const w = this.windowLength;
    const ns = this.ns;
    for (let j = 0; j < ns.length; j++) {
      const n = ns[j];
      let slot: number;
      if (this.numericKeys) {
        let k = id;
        if (n > 1) {
          const a = window[w - 1];
          if (a === 0) continue;
          k += a * TWO16;
          if (n > 2) {
            const b = window[w - 2];
            if (b === 0) continue;
            k += b * TWO32;
          }
        }
        slot = this.numericSlots.get(k);
        if (slot === -1) slot = this.lookup(k);
      } else {
        if (n > 1 && window[w - n + 1] === 0) continue;
        const key = String.fromCharCode(...window.subarray(w - n + 1), id);
        slot = this.stringSlots.get(key) ?? this.lookup(key);
      }
      if (slot >= 0) this.count(state.unit, slot);
    }
    // Slide the window.
    if (w > 0) {
      window.copyWithin(0, 1);
      window[w - 1] = id;
    }
  }

  private count(unit: ScoreUnit, slot: number): void {
    const counts = unit.counts;
    if (counts.size >= this.maxNgrams && counts.get(slot) === 0) {
      unit.truncated = true;
      return;
    }
    const tf = counts.increment(slot);
    const offset = slot * this.labelCount;
    // sw(tf+1) − sw(tf); for tf = 0 it is 1 for bin and tf, ln 2 for log_tf.
    if (tf === 0) unit.add(this.sampleWeight === 'log_tf' ? Math.LN2 : 1, this.slotWeights, offset);
    else if (this.sampleWeight === 'tf') unit.add(1, this.slotWeights, offset);
    else if (this.sampleWeight === 'log_tf')
      unit.add(tf < LOG_STEPS ? LOG_STEP[tf] : Math.log1p(1 / (1 + tf)), this.slotWeights, offset);
  }

  /** The n-gram's API names from its key. */
  ngramOf(key: number | string): string[] {
    const ids: number[] = [];
    if (typeof key === 'number') {
      let k = key;
      while (k > 0) {
        ids.unshift(k % TWO16);
        k = Math.floor(k / TWO16);
      }
    } else {
      for (let i = 0; i < key.length; i++) ids.push(key.charCodeAt(i));
    }
    return ids.map((id) => this.interner.name(id));
  }

  private keyHasOverflow(key: number | string): boolean {
    if (typeof key === 'number') {
      for (let k = key; k > 0; k = Math.floor(k / TWO16)) if (k % TWO16 === OVERFLOW_ID) return true;
      return false;
    }
    for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) === OVERFLOW_ID) return true;
    return false;
  }

  /** First sight of an n-gram: its slot (weights stored) or UNKNOWN (remembered). */
  private lookup(key: number | string): number {
    let weights: Map<string, number> | undefined;
    let g = 1;
    if (!this.keyHasOverflow(key)) {
      const apis = this.ngramOf(key);
      weights = this.model.ngramWeights(apis);
      if (weights && this.spec.globalWeight) g = this.spec.globalWeight(this.spec.featureName(apis));
    }
    let slot = UNKNOWN;
    if (weights) {
      const L = this.labelCount;
      const next = this.slotKeys.length;
      if ((next + 1) * L > this.slotWeights.length) {
        const grown = new Float64Array(this.slotWeights.length * 2);
        grown.set(this.slotWeights);
        this.slotWeights = grown;
      }
      let any = false;
      for (let i = 0; i < L; i++) {
        const v = g * (weights.get(this.labels[i]) ?? 0);
        this.slotWeights[next * L + i] = v;
        if (v !== 0) any = true;
      }
      if (any) {
        slot = next;
        this.slotKeys.push(key);
      }
    }
    if (slot === UNKNOWN && ++this.unknownCount > MAX_UNKNOWN_CACHE) this.forgetUnknown();
    if (typeof key === 'number') this.numericSlots.set(key, slot);
    else this.stringSlots.set(key, slot);
    return slot;
  }

  /** Clears the negative cache, keeping every weighted n-gram's slot. */
  private forgetUnknown(): void {
    this.cacheClears++;
    this.unknownCount = 0;
    this.numericSlots = new NgramSlots(Math.max(1 << 14, this.slotKeys.length));
    this.stringSlots.clear();
    this.slotKeys.forEach((key, slot) => {
      if (typeof key === 'number') this.numericSlots.set(key, slot);
      else this.stringSlots.set(key, slot);
    });
  }

  /** Value x_f of a feature seen `tf` times, before the global weight. */
  sampleValue(tf: number): number {
    if (this.sampleWeight === 'bin') return 1;
    if (this.sampleWeight === 'tf') return tf;
    return Math.log1p(tf);
  }

  /** The n-grams that pushed `unit` most towards label `positive` against label `other` (indexes). */
  topNgrams(unit: ScoreUnit, positive: number, other: number, top: number): NgramContribution[] {
    const L = this.labelCount;
    const all: Array<{ slot: number; count: number; contribution: number }> = [];
    for (const [slot, count] of unit.counts.entries()) {
      const w = this.slotWeights;
      const contribution =
        this.sampleValue(count) * (w[slot * L + positive] - (other >= 0 ? w[slot * L + other] : 0));
      all.push({ slot, count, contribution });
    }
    all.sort((a, b) => b.contribution - a.contribution);
    return all.slice(0, top).map(({ slot, count, contribution }) => {
      const ngram = this.ngramOf(this.slotKeys[slot]);
      return { ngram, feature: this.spec.featureName(ngram), count, contribution };
    });
  }
}
