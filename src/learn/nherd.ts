// NHERD, Normal Herding (Crammer, Lee, "Learning via Gaussian Herding", NIPS 2010), in the
// Jubatus form (jubatus-reference.md §1.4). With M = s_y − s_ŷ, V = Σ (σ_y + σ_ŷ)·x²:
//   M ≥ 1 → register y, skip
//   μ[y] += (1 − M)·σ[y]·x / (V + 1/C),  σ[y] ← 1 / (1/σ[y] + (2C + C²V)·x²);  the same for ŷ with −.
// 2C and C² are float32 products (golden README note 2); absent cells read (μ 0, σ 1).

import type { SparseVector } from '../features/sparse-vector.js';
import { LinearClassifier } from './linear-classifier.js';

export class NormalHerd extends LinearClassifier {
  readonly method = 'NHERD';

  constructor(C = 1) {
    super(C, true);
  }

  learn(x: SparseVector, y: string): void {
    const C = this.C;
    const m = this.margin(x, y);
    const M = m.sy - m.sWrong;
    if (M >= 1) {
      this.table.register(y);
      return;
    }
    const V = this.variance(x, m.yCol, m.wrong);
    const { idx, val, length } = x;
    if (length === 0) return;
    const denom = V + 1 / C;
    const covFactor = Math.fround(2 * C) + Math.fround(C * C) * V;
    const pos = this.table.register(y);
    const neg = m.wrong;
    for (let k = 0; k < length; k++) {
      const f = idx[k];
      const xf = val[k];
      const s = pos.cov[f];
      pos.w[f] = pos.w[f] + ((1 - M) * (xf * s)) / denom;
      pos.cov[f] = 1 / (1 / s + covFactor * xf * xf);
      pos.has[f] = 1;
      if (neg) {
        const t = neg.cov[f];
        neg.w[f] = neg.w[f] - ((1 - M) * (xf * t)) / denom;
        neg.cov[f] = 1 / (1 / t + covFactor * xf * xf);
        neg.has[f] = 1;
      }
    }
  }
}
