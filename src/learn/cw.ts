// Confidence-Weighted learning (Dredze, Crammer, Pereira, "Confidence-Weighted Linear
// Classification", ICML 2008), in the Jubatus form after issue #277 / PR #285
// (jubatus-reference.md §1.4). With M = s_y − s_ŷ and V = Σ (σ_y + σ_ŷ)·x²:
//   b = 1 + 2C·M,  γ = (−b + sqrt(b² − 8C(M − C·V))) / (4C·V)   (skip + register y if the numerator ≤ 0)
//   μ[y] += γ·σ[y]·x,  σ[y] ← 1 / (1/σ[y] + 2γC·x²);  the same for ŷ with −.
// 2C, 8C and 4C are float32 products (golden README note 2); absent cells read (μ 0, σ 1).

import type { SparseVector } from '../features/sparse-vector.js';
import { LinearClassifier } from './linear-classifier.js';

export class ConfidenceWeighted extends LinearClassifier {
  readonly method = 'CW';

  constructor(C = 1) {
    super(C, true);
  }

  learn(x: SparseVector, y: string): void {
    const C = this.C;
    const m = this.margin(x, y);
    const M = m.sy - m.sWrong;
    const V = this.variance(x, m.yCol, m.wrong);
    const b = 1 + Math.fround(2 * C) * M;
    let gamma = -b + Math.sqrt(b * b - Math.fround(8 * C) * (M - C * V));
    if (gamma <= 0) {
      this.table.register(y);
      return;
    }
    gamma /= Math.fround(4 * C) * V;
    const { idx, val, length } = x;
    if (length === 0) return;
    const pos = this.table.register(y);
    const neg = m.wrong;
    for (let k = 0; k < length; k++) {
      const f = idx[k];
      const xf = val[k];
      const step = 2 * gamma * xf * xf * C;
      const s = pos.cov[f];
      pos.w[f] = pos.w[f] + gamma * s * xf;
      pos.cov[f] = 1 / (1 / s + step);
      pos.has[f] = 1;
      if (neg) {
        const t = neg.cov[f];
        neg.w[f] = neg.w[f] - gamma * t * xf;
        neg.cov[f] = 1 / (1 / t + step);
        neg.has[f] = 1;
      }
    }
  }
}
