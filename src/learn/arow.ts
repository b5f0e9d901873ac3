// AROW, Adaptive Regularization of Weight Vectors (Crammer, Kulesza, Dredze, NIPS 2009), in the
// Jubatus form (jubatus-reference.md §1.4; C = 1/r). With M = s_y − s_ŷ, V = Σ (σ_y + σ_ŷ)·x²:
//   M ≥ 1 → register y, skip;  β = 1/(V + 1/C),  α = (1 − M)·β
//   μ[y] += α·σ[y]·x,  σ[y] ← σ[y] − β·σ[y]²·x²;  the same for ŷ with −.
// C is the float32 regularization_weight widened to double; absent cells read (μ 0, σ 1).

import type { SparseVector } from '../features/sparse-vector.js';
import { LinearClassifier } from './linear-classifier.js';

export class Arow extends LinearClassifier {
  readonly method = 'AROW';

  constructor(C = 1) {
    super(C, true);
  }

  learn(x: SparseVector, y: string): void {
    const m = this.margin(x, y);
    const M = m.sy - m.sWrong;
    if (M >= 1) {
      this.table.register(y);
      return;
    }
    const V = this.variance(x, m.yCol, m.wrong);
    const beta = 1 / (V + 1 / this.C);
    const alpha = (1 - M) * beta;
    const { idx, val, length } = x;
    if (length === 0) return;
    const pos = this.table.register(y);
    const neg = m.wrong;
    for (let k = 0; k < length; k++) {
      const f = idx[k];
      const xf = val[k];
      const s = pos.cov[f];
      pos.w[f] = pos.w[f] + alpha * s * xf;
      pos.cov[f] = s - beta * s * s * xf * xf;
      pos.has[f] = 1;
      if (neg) {
        const t = neg.cov[f];
        neg.w[f] = neg.w[f] - alpha * t * xf;
        neg.cov[f] = t - beta * t * t * xf * xf;
        neg.has[f] = 1;
      }
    }
  }
}
