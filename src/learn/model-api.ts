// The public contract of a trained (or training) model, used by every stage right of `learn`:
// evaluate, explain, rules, detect, serve and cluster. src/learn/model.ts implements it.
//
// A model = a Jubatus-compatible classifier config (method, parameter, converter) + the
// converter's online document statistics + the weight table (feature -> label -> cell).
import type { Datum, FeatureVector } from '../core/datum.js';
import type { Trace } from '../core/trace.js';

/** Raw per-label scores (Jubatus: inner products with the mean weights), in label registration order. */
export type Scores = Map<string, number>;

export interface Classification {
  /** argmax over `scores` (first maximum in registration order, strict >); null when no label is known. */
  predicted: string | null;
  scores: Scores;
  /** True when the trace produced no features at all ("no behaviour"): the verdict is not meaningful. */
  empty: boolean;
}

export interface Contribution {
  feature: string;
  /** Feature value after weighting (x_f). */
  value: number;
  /** Weight per label (w[f][L]); absent labels are 0. */
  weights: Map<string, number>;
  /** x_f · (w[f][predicted] − w[f][runner-up]): how much this feature pushed the verdict. */
  contribution: number;
}

export interface Explanation extends Classification {
  /** The label compared against (the second-best), null with fewer than two labels. */
  runnerUp: string | null;
  /** Features sorted by |contribution|, the largest first, at most `top`. */
  contributions: Contribution[];
}

export interface DumpEntry {
  feature: string;
  weight: number;
  /** Covariance (CW/AROW/NHERD), when the method keeps one. */
  covariance?: number;
}

/** The change of a model since a base version, for MIX (jubatus-reference.md §4.4–4.5). */
export interface ModelDiff {
  baseVersion: number;
  /** feature -> label -> [d1 (weight delta), d2 (covariance delta), d3]. */
  weights: Map<string, Map<string, [number, number, number]>>;
  /** label -> number of training examples since base. */
  labelCounts: Map<string, number>;
  /** Converter statistics since base: document count, per-feature document frequency, bm25 groups. */
  documentCount: number;
  documentFrequencies: Map<string, number>;
  groupFrequencies: Map<string, number>;
  groupTotalLengths: Map<string, number>;
  /** Number of training updates this diff summarises (for the update-weighted mix option). */
  updates: number;
}

/**
 * The alert threshold `train` chose for `watch` (src/detect/early.ts): the margin
 * score(positive) − max other that at most `target_fpr` of the `negatives` benign training traces
 * exceed at any point of their replay. Chosen on data the model has seen, so optimistic.
 */
export interface AlertThreshold {
  positive: string;
  margin: number;
  target_fpr: number;
  negatives: number;
}

export interface Model {
  /** The classifier config JSON exactly as given (Jubatus form). */
  readonly configJson: string;
  readonly method: string;
  /** Labels known to the weight storage, in registration order (the classify result order). */
  labels(): string[];
  /** Training examples seen per label (Jubatus get_labels). */
  labelCounts(): Map<string, number>;
  /** Total training examples seen. */
  sampleCount(): number;
  numFeatures(): number;

  /** Converts a trace with the model's converter (no statistics update). */
  convert(trace: Trace): FeatureVector;
  /** One online update. Labels are registered as they appear; "" is rejected. */
  train(trace: Trace, label: string): void;
  classify(trace: Trace): Classification;
  explain(trace: Trace, top?: number): Explanation;

  /** The same on Jubatus datums (the RPC endpoint). */
  trainDatum(datum: Datum, label: string): void;
  classifyDatum(datum: Datum): Classification;
  setLabel(label: string): boolean;
  deleteLabel(label: string): boolean;
  clear(): void;

  /** Weight of one feature for every label that has a cell; undefined when the feature is unknown. */
  featureWeights(feature: string): Map<string, number> | undefined;
  /**
   * `featureWeights` of the native API n-gram of these API names (raw, as in a trace); found
   * through the n-gram index, without building the feature's name, when the model has one.
   */
  ngramWeights(apis: readonly string[]): Map<string, number> | undefined;
  /** Features of `label` by weight: largest first (or smallest first with `bottom`). */
  dump(label: string, top: number, bottom?: boolean): DumpEntry[];

  /** MIX support: the change since the last mixed version, and applying a mixed diff. */
  diff(): ModelDiff;
  applyMixed(mixed: ModelDiff): void;
  readonly version: number;

  /** The alert threshold chosen at training time for `watch`, when there is one. */
  alertThreshold?: AlertThreshold;

  /** Writes the model file atomically (temp file + rename); `as`: the final name, when `path` is a temporary one. */
  save(path: string, as?: string): void;
}
