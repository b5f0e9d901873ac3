// The training skeleton shared by the linear methods (jubatus-reference.md §1.2–1.3): scores are
// inner products with the mean weights, in label registration order; the "best wrong label" ŷ is
// the first label ≠ y met, replaced only by a strictly greater score; y unknown scores 0; with no
// other label ŷ is none (its score 0, its covariance 1). Each method (one file each) implements
// `learn`. The label counter (get_labels) lives in the model, not here.
import type { SparseVector } from '../features/sparse-vector.js';
import { type LabelColumn, WeightTable } from './weight-table.js';

export interface Margin {
  /** Column of the true label, if registered. */
  yCol: LabelColumn | undefined;
  /** Score of y (0 when unknown). */
  sy: number;
  /** Best wrong label's column, undefined when there is none. */
  wrong: LabelColumn | undefined;
  /** Its score (0 when none). */
  sWrong: number;
}

export abstract class LinearClassifier {
  readonly table: WeightTable;
  /** regularization_weight as a float32 (Jubatus parses it into a `float`). */
  readonly C: number;
  abstract readonly method: string;
  /** Whether v2 holds a covariance (CW/AROW/NHERD), shown by dump. */
  readonly hasCovariance: boolean;

  constructor(C: number, covariance: boolean, withAux = false) {
    this.C = Math.fround(C);
    this.hasCovariance = covariance;
    this.table = new WeightTable(covariance ? 1 : 0, withAux);
  }

  /** One online update with the sample x of label y (y must be non-empty). */
  abstract learn(x: SparseVector, y: string): void;

  private scratch = new Float64Array(8);

  /**
   * Scores of every label (registration order) in one pass over x; each label's sum is still
   * taken in entry order, so it equals WeightTable.score bit for bit. The array is reused.
   */
  protected scores(x: SparseVector): Float64Array {
    const labels = this.table.labels;
    const nl = labels.length;
    if (this.scratch.length < nl) this.scratch = new Float64Array(nl * 2);
    const s = this.scratch;
    s.fill(0, 0, nl);
    const { idx, val, length } = x;
    if (nl === 2) {
      dotTwo(labels[0].w, labels[1].w, idx, val, length, s);
      return s;
    }
    for (let l = 0; l < nl; l++) s[l] = WeightTable.score(labels[l], idx, val, length);
    return s;
  }

  /** Raw scores of every known label, in registration order. */
  predict(x: SparseVector): Map<string, number> {
    const s = this.scores(x);
    const out = new Map<string, number>();
    this.table.labels.forEach((col, l) => {
      out.set(col.name, s[l]);
    });
    return out;
  }

  /** The label with the highest score (first maximum, strict >), or null when no label is known. */
  predictOne(x: SparseVector): string | null {
    const s = this.scores(x);
    let best: string | null = null;
    let bestScore = 0;
    this.table.labels.forEach((col, l) => {
      if (best === null || s[l] > bestScore) {
        best = col.name;
        bestScore = s[l];
      }
    });
    return best;
  }

  /** Batch helper: learns every (x, y) pair in order. */
  learnMany(samples: Iterable<[SparseVector, string]>): void {
    for (const [x, y] of samples) this.learn(x, y);
  }

  /** Scores of y and of the best wrong label (§1.3 step 3). */
  protected margin(x: SparseVector, y: string): Margin {
    let yCol: LabelColumn | undefined;
    let sy = 0;
    let wrong: LabelColumn | undefined;
    let sWrong = 0;
    const scores = this.scores(x);
    const labels = this.table.labels;
    for (let l = 0; l < labels.length; l++) {
      const col = labels[l];
      const s = scores[l];
      if (col.name === y) {
        yCol = col;
        sy = s;
      } else if (wrong === undefined || s > sWrong) {
        wrong = col;
        sWrong = s;
      }
    }
    return { yCol, sy, wrong, sWrong };
  }

  /** PA-style update: w[y] += step·x, w[ŷ] −= step·x (cells created). */
  protected stepUpdate(x: SparseVector, step: number, y: string, wrong: LabelColumn | undefined): void {
    const { idx, val, length } = x;
    if (length === 0) return;
    const pos = this.table.register(y);
    for (let k = 0; k < length; k++) {
      const f = idx[k];
      pos.w[f] = pos.w[f] + step * val[k];
      pos.has[f] = 1;
      if (wrong) {
        wrong.w[f] = wrong.w[f] - step * val[k];
        wrong.has[f] = 1;
      }
    }
  }

  /** V = Σ (σ[f][y] + σ[f][ŷ])·x_f², absent σ = 1 (§1.3 step 5). */
  protected variance(x: SparseVector, yCol: LabelColumn | undefined, wrong: LabelColumn | undefined): number {
    const { idx, val, length } = x;
    let v = 0;
    for (let k = 0; k < length; k++) {
      const f = idx[k];
      const sy = yCol ? yCol.cov[f] : 1;
      const sw = wrong ? wrong.cov[f] : 1;
      v += (sy + sw) * val[k] * val[k];
    }
    return v;
  }
}

/**
 * out[0] = Σ val[k]·w0[idx[k]], out[1] = the same with w1, in entry order (one pass for the
 * common two-label model). A module function over typed arrays only, so creating models never
 * invalidates its compiled code; and run once on empty input when the module loads, so the stores
 * after the loop have type feedback before V8 first compiles the loop mid-run (on-stack
 * replacement). Written inside `scores`, the loop's code deoptimized at those stores on every
 * call in 2 of 16 fresh bench processes (--trace-deopt: ~1,000 deopts in 500 train + 500
 * classify calls), and classify ran at 13.2 and 19.1 M calls/s against 21-35 in the others.
 */
function dotTwo(
  w0: Float64Array,
  w1: Float64Array,
  idx: Int32Array,
  val: Float64Array,
  length: number,
  out: Float64Array,
): void {
  let s0 = 0;
  let s1 = 0;
  for (let k = 0; k < length; k++) {
    const f = idx[k];
    const v = val[k];
    s0 += v * w0[f];
    s1 += v * w1[f];
  }
  out[0] = s0;
  out[1] = s1;
}
dotTwo(
  new Float64Array(0),
  new Float64Array(0),
  new Int32Array(0),
  new Float64Array(0),
  0,
  new Float64Array(2),
);
